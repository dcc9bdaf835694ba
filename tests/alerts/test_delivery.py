"""Delivery to a real local webhook server: retries, Retry-After, dead letters, storms, quiet hours."""

from __future__ import annotations

import itertools
import math
import random
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, insert, select, update

from alerts.channels import add_channel
from alerts.delivery import backoff, deliver
from alerts.outbox import evaluate
from alerts.queries import dead_alerts, outbox_counts
from alerts.sql import AL, INC, M
from bounceback.settings import Settings
from tests.alerts.conftest import NOW, flagged, flagged_many, make_settings, webhook_channel
from tests.alerts.peers import Action, ScriptedHTTPServer
from tests.factories import make_source


def _statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(AL.c.status, func.count()).group_by(AL.c.status)).all())


def _next_due(engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        return conn.execute(
            select(func.min(AL.c.next_attempt_at)).where(AL.c.status.in_(("pending", "sending")))
        ).scalar_one()


def _drain(engine: Engine, settings: Settings, now: datetime, passes: int = 60) -> datetime:
    """Deliver pass after pass, jumping the clock to the next due row, until nothing is left."""
    for _ in range(passes):
        deliver(engine, settings, now=now, rng=random.Random(1))
        due = _next_due(engine)
        if due is None:
            return now
        now = max(now + timedelta(seconds=1), due)
    raise AssertionError(f"outbox not drained: {_statuses(engine)}")


def test_hundred_alerts_during_an_outage_arrive_exactly_once_after_recovery(engine, http_server):
    settings = make_settings()
    webhook_channel(engine, settings, http_server.url + "/hook", timeout=0.3)
    flagged_many(engine, make_source(engine), 100)
    assert evaluate(engine, settings, now=NOW)["alerts"] == 100
    http_server.then(
        Action(status=500),
        Action(status=503),
        Action(status=429, headers={"Retry-After": "90"}),
        Action(hang=1.0),
        Action(status=502),
    )
    now = NOW
    for _ in range(5):  # the outage: every pass fails on its first request and leaves the channel alone
        counts = deliver(engine, settings, now=now, rng=random.Random(2))
        assert counts["messages"] == 0 and counts["retrying"] == 1 and counts["deferred"] == 99
        now = _next_due(engine)
    assert len(http_server.received) == 5
    _drain(engine, settings, now)
    keys = http_server.delivered_keys()
    assert len(keys) == 100 and set(keys.values()) == {1}
    assert _statuses(engine) == {"sent": 100}
    assert len(http_server.answered(200)) == 100


def test_retry_after_from_a_429_is_honoured(engine, http_server):
    settings = make_settings()
    webhook_channel(engine, settings, http_server.url)
    flagged(engine)
    evaluate(engine, settings, now=NOW)
    http_server.then(Action(status=429, headers={"Retry-After": "120"}))
    deliver(engine, settings, now=NOW)
    assert _next_due(engine) == NOW + timedelta(seconds=120)
    assert deliver(engine, settings, now=NOW + timedelta(seconds=119))["claimed"] == 0
    assert deliver(engine, settings, now=NOW + timedelta(seconds=120))["messages"] == 1
    assert len(http_server.received) == 2


def test_404_is_dead_after_one_try_with_its_reason_and_never_retried(engine, http_server):
    settings = make_settings()
    webhook_channel(engine, settings, http_server.url + "/gone")
    for _ in range(3):
        flagged(engine)
    evaluate(engine, settings, now=NOW)
    http_server.set(404, body=b"Not Found")
    assert deliver(engine, settings, now=NOW)["dead"] == 3
    for hours in (1, 24, 24 * 7):
        assert deliver(engine, settings, now=NOW + timedelta(hours=hours))["claimed"] == 0
    assert len(http_server.received) == 3
    dead = dead_alerts(engine=engine)
    assert len(dead) == 3 and all("HTTP 404" in d.reason and d.attempts == 1 for d in dead)
    assert dead[0].channel == "hook"
    assert outbox_counts(engine=engine) == {"dead": 3}


def test_passing_failures_give_up_after_the_attempt_limit(engine, http_server):
    settings = make_settings(alert_max_attempts=3)
    webhook_channel(engine, settings, http_server.url)
    flagged(engine)
    evaluate(engine, settings, now=NOW)
    http_server.set(500)
    _drain(engine, settings, NOW)
    [dead] = dead_alerts(engine=engine)
    assert dead.attempts == 3 and dead.reason.startswith("gave up after 3 attempts")
    assert len(http_server.received) == 3


def test_backoff_doubles_from_thirty_seconds_with_jitter_and_a_cap():
    rng = random.Random(7)
    for attempts, full in ((1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)):
        delays = [backoff(attempts, rng) for _ in range(50)]
        assert all(full * 0.5 <= d <= full for d in delays)
        assert len({round(d, 3) for d in delays}) > 40  # jittered, not lock-step


def test_storm_of_1000_mentions_in_one_incident_sends_at_most_one_message_per_window(engine, http_server):
    window = 300
    settings = make_settings(alert_group_window_seconds=window, alert_cooldown_seconds=900)
    webhook_channel(engine, settings, http_server.url)
    source = make_source(engine)
    with engine.begin() as conn:
        incident = conn.execute(
            insert(INC)
            .values(
                title="Checkout is down",
                status="open",
                opened_at=NOW,
                last_seen_at=NOW,
                mention_count=0,
                centroid=[],
                keywords=[],
                source_ids=[],
                version=1,
            )
            .returning(INC.c.id)
        ).scalar_one()
    sent_at: list[int] = []
    for tick in range(0, 300, 10):  # 1,000 mentions over 5 minutes: 34 per 10 s tick
        now = NOW + timedelta(seconds=tick)
        with engine.begin() as conn:
            conn.execute(
                insert(M),
                [
                    {
                        "source_id": source.id,
                        "external_id": f"storm-{tick}-{n}",
                        "status": "open",
                        "severity": "high",
                        "sentiment": "negative",
                        "text": f"checkout broken {tick}/{n}",
                        "flagged_at": now,
                        "incident_id": incident,
                        "flag_reasons": ["negative"],
                        "engagement": {},
                        "fetched_at": now,
                        "updated_at": now,
                    }
                    for n in range(min(34, 1000 - tick // 10 * 34))
                ],
            )
        evaluate(engine, settings, now=now)
        before = len(http_server.received)
        deliver(engine, settings, now=now)
        sent_at += [tick] * (len(http_server.received) - before)
    for _ in range(20):  # after the storm: the scheduler's next 10 s tick at or after each due row
        if (due := _next_due(engine)) is None:
            break
        tick = math.ceil((due - NOW).total_seconds() / 10) * 10
        before = len(http_server.received)
        deliver(engine, settings, now=NOW + timedelta(seconds=tick))
        sent_at += [tick] * (len(http_server.received) - before)
    keys = http_server.delivered_keys()
    assert len(keys) == 1000 and set(keys.values()) == {1}  # nothing lost, nothing twice
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert all(gap >= window for gap in gaps), sent_at
    assert len(sent_at) <= 5
    counts = [r.json["count"] for r in http_server.received]
    assert sent_at[0] == 0 and counts[0] == 34 and sum(counts) == 1000  # the first message goes at once
    assert "complaints in incident" in http_server.received[1].json["title"]
    assert _statuses(engine) == {"sent": len(sent_at), "grouped": 1000 - len(sent_at)}


def test_quiet_hours_hold_non_critical_alerts_until_morning_but_critical_goes(engine, http_server):
    settings = make_settings()
    webhook_channel(engine, settings, http_server.url, quiet_hours="22:00-07:00", timezone="Europe/Paris")
    night = datetime.fromisoformat("2026-03-02T22:30:00+00:00")  # 23:30 in Paris
    flagged(engine, severity="high", when=night)
    flagged(engine, severity="critical", when=night)
    evaluate(engine, settings, now=night)
    counts = deliver(engine, settings, now=night)
    assert counts["messages"] == 1 and counts["deferred"] == 1
    assert http_server.received[0].json["severity"] == "critical"
    morning = datetime.fromisoformat("2026-03-03T06:00:00+00:00")  # 07:00 in Paris
    assert _next_due(engine) == morning
    assert deliver(engine, settings, now=morning)["messages"] == 1


def test_alert_about_a_mention_someone_already_claimed_is_suppressed(engine, http_server):
    settings = make_settings()
    webhook_channel(engine, settings, http_server.url)
    mention = flagged(engine)
    evaluate(engine, settings, now=NOW)
    with engine.begin() as conn:
        conn.execute(update(M).where(M.c.id == mention.id).values(status="claimed", claimed_by="alice"))
    assert deliver(engine, settings, now=NOW)["suppressed"] == 1
    assert http_server.received == []
    with engine.connect() as conn:
        assert "claimed by alice" in conn.execute(select(AL.c.last_error)).scalar_one()


def test_misconfigured_channel_kills_its_alerts_with_the_reason(engine: Engine, http_server):
    settings = make_settings()
    webhook_channel(engine, settings, http_server.url)
    flagged(engine)
    evaluate(engine, settings, now=NOW)
    assert deliver(engine, make_settings(allow_private_urls=False), now=NOW)["dead"] == 1
    [dead] = dead_alerts(engine=engine)
    assert "private address" in dead.reason


def test_digest_channel_delivers_the_summary_table(engine: Engine, http_server: ScriptedHTTPServer):
    from alerts.digest import enqueue_digests

    settings = make_settings()
    add_channel(
        "marketing",
        "webhook",
        {"url": http_server.url},
        digest="weekly",
        test=False,
        engine=engine,
        settings=settings,
    )
    flagged(engine, when=NOW - timedelta(days=3), fetched_at=NOW - timedelta(days=3))
    enqueue_digests(engine, settings, now=NOW)
    assert deliver(engine, settings, now=NOW)["messages"] == 1
    body = http_server.received[0].json
    assert body["event"] == "digest" and "weekly digest" in body["title"]
    assert "Mentions" in body["text"] and "Top complaints" in body["text"]


def test_two_senders_side_by_side_deliver_each_alert_once(engine, http_server):
    import threading

    settings = make_settings()
    webhook_channel(engine, settings, http_server.url)
    for _ in range(4):
        flagged_many(engine, make_source(engine), 50)
    evaluate(engine, settings, now=NOW)
    start = threading.Barrier(2)
    results: list[dict] = []

    def sender() -> None:
        start.wait()
        while (counts := deliver(engine, settings, now=NOW, limit=20))["claimed"]:
            results.append(counts)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    keys = http_server.delivered_keys()
    assert len(keys) == 200 and set(keys.values()) == {1}
    assert _statuses(engine) == {"sent": 200}
