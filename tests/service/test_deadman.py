"""Dead-man's switch: a source that stops crawling is marked incomplete and raises one ops alert."""

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from bounceback.db import get_engine
from bounceback.deadman import check_sources
from bounceback.tables import Alert, Channel, Source
from bounceback.types import utcnow
from tests.factories import make_source
from tests.service.helpers import job_runs, kill_group, service_env, start_bb, stop, wait_for

S = Source.__table__


def _set(engine, source_id, **values):
    with engine.begin() as conn:
        conn.execute(update(S).where(S.c.id == source_id).values(**values))


def _ops_alerts(engine):
    with engine.connect() as conn:
        return conn.execute(select(Alert.__table__).where(Alert.__table__.c.kind == "ops")).all()


def _source(engine, source_id):
    with engine.connect() as conn:
        return conn.execute(select(S).where(S.c.id == source_id)).one()


def test_missed_intervals_mark_the_source_incomplete_and_alert_once_per_gap(engine):
    now = utcnow()
    late = make_source(engine)
    fine = make_source(engine)
    off = make_source(engine)
    last_ok = now - timedelta(minutes=5)
    _set(engine, late.id, interval_seconds=60, last_success_at=last_ok, last_error="HTTP 503")
    _set(engine, fine.id, interval_seconds=60, last_success_at=now - timedelta(seconds=90))
    _set(engine, off.id, interval_seconds=60, last_success_at=last_ok, enabled=False)

    counts = check_sources(3, engine=engine)
    assert counts == {"checked": 2, "overdue": 1, "alerts": 1, "recovered": 0}
    for _ in range(3):
        assert check_sources(3, engine=engine)["alerts"] == 0
    (alert,) = _ops_alerts(engine)
    assert alert.status == "pending" and alert.severity == "high"
    assert alert.payload["source_id"] == late.id and alert.payload["last_error"] == "HTTP 503"
    assert "has not crawled successfully since" in alert.payload["text"]
    assert alert.channel_id is None  # no channel yet: kept for status and the dashboard
    assert _source(engine, late.id).incomplete_since == last_ok
    assert _source(engine, fine.id).incomplete_since is None

    _set(engine, late.id, last_success_at=utcnow())  # the crawler succeeded again
    assert check_sources(3, engine=engine)["recovered"] == 1
    assert _source(engine, late.id).incomplete_since is None

    _set(engine, late.id, last_success_at=utcnow() - timedelta(minutes=10))  # a new gap
    assert check_sources(3, engine=engine)["alerts"] == 1
    assert len(_ops_alerts(engine)) == 2


def test_a_source_that_never_succeeded_counts_from_its_creation(engine):
    src = make_source(engine)
    _set(engine, src.id, interval_seconds=60, created_at=utcnow() - timedelta(minutes=2))
    assert check_sources(3, engine=engine)["alerts"] == 0
    _set(engine, src.id, created_at=utcnow() - timedelta(minutes=4))
    assert check_sources(3, engine=engine)["alerts"] == 1


@pytest.mark.slow
def test_running_scheduler_fires_the_dead_man_alert_once(bb_env, tmp_path):
    engine = get_engine()
    src = make_source(engine)
    _set(engine, src.id, interval_seconds=60, last_success_at=utcnow() - timedelta(hours=1))
    proc = start_bb("run", "--tick", "1", env=service_env(), log=tmp_path / "run.log")
    try:
        wait_for(lambda: len(job_runs("deadman")) >= 4, 40, "four dead-man checks")
        assert stop(proc) == 0
    finally:
        kill_group(proc)
    assert len(_ops_alerts(engine)) == 1
    assert [r.counts["alerts"] for r in job_runs("deadman")].count(1) == 1
    assert "dead-man: source" in (tmp_path / "run.log").read_text()


def test_with_channels_each_enabled_channel_gets_the_alert_once(engine):
    now = utcnow()
    with engine.begin() as conn:
        for name, enabled in (("ops-email", True), ("ops-hook", True), ("off", False)):
            conn.execute(
                insert(Channel.__table__).values(
                    name=name, kind="webhook", config={}, timezone="UTC", enabled=enabled, created_at=now
                )
            )
    src = make_source(engine)
    _set(engine, src.id, interval_seconds=60, last_success_at=now - timedelta(minutes=10))
    assert check_sources(3, engine=engine)["alerts"] == 2
    assert check_sources(3, engine=engine)["alerts"] == 0
    alerts = _ops_alerts(engine)
    assert sorted(a.dedup_key.rsplit(":", 1)[1] for a in alerts) == ["1", "2"]
    assert {a.payload["title"] for a in alerts} == {
        f"Source {src.name} has gone quiet: its data is incomplete"
    }


def test_the_alerts_stage_delivers_the_dead_man_alert_to_a_real_webhook(bb_env, tmp_path):
    import json

    from alerts.channels import add_channel
    from alerts.delivery import deliver
    from bounceback.demo_sinks import Inbox, WebhookSink

    engine = get_engine()
    hook = WebhookSink(Inbox(tmp_path / "inbox"), lambda _text: None).start()
    try:
        add_channel("ops-hook", "webhook", {"url": hook.url}, test=False)
        src = make_source(engine)
        _set(
            engine,
            src.id,
            interval_seconds=60,
            last_success_at=utcnow() - timedelta(minutes=30),
            last_error="connection refused",
        )
        assert check_sources(3, engine=engine)["alerts"] == 1
        assert deliver()["delivered"] == 1
        (received,) = [json.loads(p.read_text()) for p in (tmp_path / "inbox").glob("webhook-*.json")]
    finally:
        hook.stop()
    assert received["event"] == "ops"
    assert received["title"] == f"Source {src.name} has gone quiet: its data is incomplete"
    assert "mentions since then may be missing" in received["text"]
