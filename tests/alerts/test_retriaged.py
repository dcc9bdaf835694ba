"""Mentions judged again by the score job (``retriaged_at``): a rule that newly holds alerts, once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select, update

from alerts.channels import add_channel
from alerts.outbox import evaluate
from alerts.sql import AL, M
from tests.alerts.conftest import NOW, flagged, make_settings


def _alerts(engine: Engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(AL).where(AL.c.kind == "mention").order_by(AL.c.id)).all()


def _rejudged(engine: Engine, mention_id: int, when, **values) -> None:
    with engine.begin() as conn:
        conn.execute(update(M).where(M.c.id == mention_id).values(retriaged_at=when, **values))


def test_an_alerted_complaint_that_starts_spreading_is_alerted_again_by_the_viral_rule_only(engine):
    settings = make_settings()
    add_channel(
        "hook", "webhook", {"url": "http://127.0.0.1:9/hook"}, test=False, engine=engine
    )  # default rules
    mention = flagged(engine, severity="high", accelerating=False)
    quiet = flagged(engine, severity="high", accelerating=False)
    assert evaluate(engine, settings, now=NOW)["alerts"] == 2  # high-severity, for both

    later = NOW + timedelta(minutes=20)
    _rejudged(engine, mention.id, later, accelerating=True, viral_score=0.91)
    _rejudged(engine, quiet.id, later, viral_score=0.45)  # re-judged, but no rule newly holds
    counts = evaluate(engine, settings, now=later + timedelta(seconds=5))

    assert counts["retriaged"] == 1
    alerts = _alerts(engine)
    spreading = [a for a in alerts if a.mention_id == mention.id]
    assert [a.payload["rule"] for a in spreading] == ["high-severity", "viral-negative"]
    assert spreading[1].payload["accelerating"]
    assert spreading[1].group_key == f"spreading:source:{mention.source_id}", "not behind the source's storm"
    assert [a.payload["rule"] for a in alerts if a.mention_id == quiet.id] == ["high-severity"]

    _rejudged(engine, mention.id, later + timedelta(minutes=5), viral_score=0.97)  # still spreading
    assert evaluate(engine, settings, now=later + timedelta(minutes=6))["alerts"] == 0


def test_a_closed_mention_rejudged_is_not_alerted(engine):
    settings = make_settings()
    add_channel("hook", "webhook", {"url": "http://127.0.0.1:9/hook"}, test=False, engine=engine)
    mention = flagged(engine, severity="medium", status="resolved", accelerating=True)
    _rejudged(engine, mention.id, NOW)
    assert evaluate(engine, settings, now=NOW + timedelta(seconds=5))["alerts"] == 0


def test_a_fresh_flag_rejudged_before_any_alert_is_alerted_once_in_its_own_storm_group(engine):
    settings = make_settings()
    add_channel("hook", "webhook", {"url": "http://127.0.0.1:9/hook"}, test=False, engine=engine)
    mention = flagged(engine, severity="medium", accelerating=False)
    assert evaluate(engine, settings, now=NOW)["alerts"] == 0  # medium, not spreading: no rule holds

    later = NOW + timedelta(minutes=2)  # still inside the flag scan's overlap: both scans read it
    _rejudged(engine, mention.id, later, severity="high", accelerating=True, viral_score=0.93)
    assert evaluate(engine, settings, now=later + timedelta(seconds=5))["alerts"] == 1

    [alert] = _alerts(engine)
    assert alert.payload["rule"] == "high-severity" and alert.payload["accelerating"]
    assert alert.group_key == f"spreading:source:{mention.source_id}"
    assert evaluate(engine, settings, now=later + timedelta(minutes=1))["alerts"] == 0
