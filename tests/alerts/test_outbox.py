"""Evaluation: flags, incidents and overdue items become outbox rows in one transaction, exactly once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, delete, event, func, insert, select

from alerts.digest import enqueue_digests
from alerts.escalation import escalate_overdue
from alerts.outbox import BATCH, evaluate
from alerts.rules import add_rule
from alerts.sql import AL, RU, M
from bounceback.db import session
from bounceback.tables import Activity, Incident
from tests.alerts.conftest import NOW, flagged, flagged_many, make_settings, webhook_channel
from tests.factories import make_source


def _alerts(engine: Engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(AL).order_by(AL.c.id)).all()


def _activities(engine: Engine, action: str) -> list:
    with engine.connect() as conn:
        table = Activity.__table__
        return conn.execute(select(table).where(table.c.action == action)).all()


def test_flagged_mention_becomes_one_alert_with_snapshot_and_activity(engine: Engine):
    settings = make_settings()
    channel = webhook_channel(engine, settings, "http://127.0.0.1:9/hook")
    mention = flagged(engine, title="Refund?", text="charged twice")
    counts = evaluate(engine, settings, now=NOW)
    assert counts["alerts"] == 1
    [alert] = _alerts(engine)
    assert alert.channel_id == channel.id and alert.mention_id == mention.id and alert.status == "pending"
    assert alert.payload["link"] == f"https://care.example.com/item?id={mention.id}"
    assert alert.payload["excerpt"] == "charged twice" and alert.payload["reasons"] == ["negative", "refund"]
    assert alert.group_key == f"source:{mention.source_id}"
    [activity] = _activities(engine, "alerted")
    assert activity.mention_id == mention.id


def test_evaluating_again_raises_nothing_new(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook")
    for _ in range(3):
        flagged(engine)
    assert evaluate(engine, settings, now=NOW)["alerts"] == 3
    assert evaluate(engine, settings, now=NOW + timedelta(seconds=10))["alerts"] == 0
    assert len(_alerts(engine)) == 3
    assert len(_activities(engine, "alerted")) == 3


def test_mention_flagged_late_but_within_the_overlap_is_still_alerted(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook")
    flagged(engine, when=NOW)
    evaluate(engine, settings, now=NOW)
    late = flagged(engine, when=NOW - timedelta(minutes=5))  # committed after the watermark passed it
    assert evaluate(engine, settings, now=NOW + timedelta(seconds=10))["alerts"] == 1
    assert late.id in {a.mention_id for a in _alerts(engine)}


def test_a_flag_no_rule_matches_is_not_read_again_once_the_overlap_has_passed(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook")
    add_rule("critical-only", "hook", {"event": "flagged", "min_severity": "critical"}, engine=engine)
    with engine.begin() as conn:  # only the critical rule is left: a high flag matches none
        conn.execute(delete(RU).where(RU.c.name == "all-hook"))
    flagged(engine, severity="high", when=NOW)
    reads = [
        evaluate(engine, settings, now=NOW + timedelta(minutes=m))["mentions"] for m in (0, 5, 16, 20, 60)
    ]
    # read while the run before started less than the overlap (15 min) after it was flagged, then never
    assert reads == [1, 1, 1, 0, 0]
    assert _alerts(engine) == []


def test_a_flag_stamped_by_a_fast_clock_does_not_hide_a_later_commit_stamped_by_a_right_one(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook")
    fast = flagged(engine, when=NOW + timedelta(minutes=20))  # a scorer whose clock is 20 minutes ahead
    assert evaluate(engine, settings, now=NOW)["alerts"] == 1
    right = flagged(engine, when=NOW + timedelta(seconds=30))  # committed after that run
    assert evaluate(engine, settings, now=NOW + timedelta(minutes=1))["alerts"] == 1
    assert {a.mention_id for a in _alerts(engine)} == {fast.id, right.id}


def test_a_flag_committed_while_a_long_evaluation_runs_is_alerted_by_the_next(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook")
    source = make_source(engine)
    flagged_many(engine, source, BATCH + 20, when=NOW - timedelta(minutes=1))  # two batches
    done = 0

    def commit_a_flag_between_the_batches(dbapi_conn, record) -> None:
        nonlocal done
        done += 1
        if done == 2:  # the rules and watermark (1) and the first batch (2) are done: stamped before both
            flagged(engine, source, when=NOW - timedelta(minutes=2), title="late")

    event.listen(engine, "checkin", commit_a_flag_between_the_batches)
    try:
        assert evaluate(engine, settings, now=NOW)["alerts"] == BATCH + 20  # this run has passed it by
    finally:
        event.remove(engine, "checkin", commit_a_flag_between_the_batches)
    assert evaluate(engine, settings, now=NOW + timedelta(seconds=3))["alerts"] == 1
    with engine.connect() as conn:
        late = conn.execute(select(M.c.id).where(M.c.title == "late")).scalar_one()
    alerted = [a.mention_id for a in _alerts(engine)]
    assert late in alerted and len(alerted) == len(set(alerted)) == BATCH + 21


def test_rule_conditions_select_which_mentions_alert(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook", name="care")
    add_rule("big-voices", "care", {"min_reach": 10_000, "negative": True}, engine=engine)
    from alerts.rules import remove_rule

    remove_rule("all-care", engine=engine)
    flagged(engine, reach=50)
    loud = flagged(engine, reach=20_000)
    flagged(engine, reach=20_000, sentiment="neutral")
    evaluate(engine, settings, now=NOW)
    assert [a.mention_id for a in _alerts(engine)] == [loud.id]


def test_two_rules_on_one_channel_send_one_alert_per_mention(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook", name="care")
    add_rule("high", "care", {"min_severity": "high"}, engine=engine)
    flagged(engine, severity="critical")
    evaluate(engine, settings, now=NOW)
    assert len(_alerts(engine)) == 1


def test_request_row_written_by_another_stage_is_routed_through_the_rules(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook")
    mention = flagged(engine, when=NOW - timedelta(days=3))  # too old for the flag scan
    with engine.begin() as conn:  # what a stage that cannot import alerts writes, in its own transaction
        conn.execute(
            insert(AL).values(
                dedup_key=f"request:mention:{mention.id}",
                kind="request",
                mention_id=mention.id,
                status="pending",
                attempts=0,
                next_attempt_at=NOW,
                payload={},
                created_at=NOW,
            )
        )
    counts = evaluate(engine, settings, now=NOW)
    assert counts["requests"] == 1 and counts["alerts"] == 1
    kinds = sorted((a.kind, a.status) for a in _alerts(engine))
    assert kinds == [("mention", "pending"), ("request", "sent")]


def test_new_incident_alerts_rules_listening_for_incidents(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook", name="care")
    add_rule("incidents", "care", {"event": "incident"}, engine=engine)
    with session(engine) as sess:
        sess.add(Incident(title="Checkout fails", severity="high", mention_count=12, opened_at=NOW))
    evaluate(engine, settings, now=NOW)
    evaluate(engine, settings, now=NOW + timedelta(seconds=10))
    [alert] = [a for a in _alerts(engine) if a.kind == "incident"]
    assert alert.payload["incident_title"] == "Checkout fails"


def _incident(engine: Engine, title: str, when) -> None:
    with session(engine) as sess:
        sess.add(Incident(title=title, severity="high", mention_count=3, opened_at=when))


def test_an_incident_stamped_by_a_fast_clock_does_not_hide_a_later_one_stamped_by_a_right_one(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook", name="care")
    add_rule("incidents", "care", {"event": "incident"}, engine=engine)
    _incident(engine, "fast clock", NOW + timedelta(minutes=20))  # a scorer 20 minutes ahead
    evaluate(engine, settings, now=NOW)
    _incident(engine, "right clock", NOW + timedelta(seconds=30))  # committed after that run
    evaluate(engine, settings, now=NOW + timedelta(minutes=1))
    titles = sorted(a.payload["incident_title"] for a in _alerts(engine) if a.kind == "incident")
    assert titles == ["fast clock", "right clock"]


def test_more_incidents_than_a_batch_in_one_minute_are_all_alerted_once(engine: Engine):
    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook", name="care")
    add_rule("incidents", "care", {"event": "incident"}, engine=engine)
    with session(engine) as sess:
        for i in range(BATCH + 5):  # one opening time: paging must go by id too
            sess.add(Incident(title=f"storm {i}", severity="high", mention_count=2, opened_at=NOW))
    assert evaluate(engine, settings, now=NOW + timedelta(seconds=1))["incidents"] == BATCH + 5
    assert evaluate(engine, settings, now=NOW + timedelta(seconds=5))["incidents"] == 0
    assert len([a for a in _alerts(engine) if a.kind == "incident"]) == BATCH + 5


def test_unclaimed_item_past_sla_is_escalated_logged_and_alerted_once(engine: Engine):
    settings = make_settings(sla_minutes={"high": 60})
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook", name="care")
    add_rule("supervisors", "care", {"event": "sla"}, engine=engine)
    overdue = flagged(engine, when=NOW - timedelta(minutes=61))
    fresh = flagged(engine, when=NOW - timedelta(minutes=30))
    claimed = flagged(engine, when=NOW - timedelta(hours=5), status="claimed", claimed_by="alice")
    due_early = flagged(engine, when=NOW - timedelta(minutes=5), sla_due_at=NOW - timedelta(minutes=1))
    counts = escalate_overdue(engine, settings, now=NOW)
    assert counts == {"escalated": 2, "alerts": 2}
    assert escalate_overdue(engine, settings, now=NOW + timedelta(minutes=1)) == {"escalated": 0, "alerts": 0}
    with engine.connect() as conn:
        status = dict(conn.execute(select(M.c.id, M.c.status)).all())
    assert status[overdue.id] == status[due_early.id] == "escalated"
    assert status[fresh.id] == "open" and status[claimed.id] == "claimed"
    assert {a.mention_id for a in _activities(engine, "escalated")} == {overdue.id, due_early.id}
    assert {a.kind for a in _alerts(engine)} == {"escalation"}


def test_daily_digest_is_raised_once_per_day_with_volume_sentiment_top_and_recovery(engine: Engine):
    settings = make_settings()
    from alerts.channels import add_channel

    add_channel(
        "marketing",
        "webhook",
        {"url": "http://127.0.0.1:9/x"},
        digest="daily",
        test=False,
        engine=engine,
        settings=settings,
    )
    source = make_source(engine)
    yesterday = NOW - timedelta(days=1)
    flagged(
        engine,
        source,
        when=yesterday,
        fetched_at=yesterday,
        priority=9,
        text="worst ever",
        first_claimed_at=yesterday + timedelta(minutes=10),
        resolved_at=yesterday + timedelta(minutes=50),
        status="resolved",
        outcome="apologised",
    )
    flagged(engine, source, when=yesterday, fetched_at=yesterday, priority=1, sentiment="negative")
    from tests.factories import make_mention

    make_mention(engine, source, status="scored", sentiment="positive", fetched_at=yesterday)
    assert enqueue_digests(engine, settings, now=NOW) == {"digests": 1}
    assert enqueue_digests(engine, settings, now=NOW + timedelta(hours=1)) == {"digests": 0}
    [digest] = _alerts(engine)
    payload = digest.payload
    assert payload["label"] == "2026-03-01" and payload["volume"] == 3 and payload["flagged"] == 2
    assert payload["sentiment"] == {"negative": 2, "positive": 1}
    assert payload["top"][0]["excerpt"] == "worst ever"
    assert payload["recovery"]["median_minutes_to_claim"] == 10
    assert payload["recovery"]["median_minutes_to_resolve"] == 50
    assert payload["outcomes"] == {"apologised": 1}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AL)).scalar_one() == 1


def test_a_rule_with_broken_conditions_is_skipped_and_the_others_still_alert(engine: Engine):
    from bounceback.tables import Rule

    settings = make_settings()
    channel = webhook_channel(engine, settings, "http://127.0.0.1:9/hook")
    with session(engine) as sess:  # as the settings page might store hand-written JSON
        sess.add(Rule(name="typo", channel_id=channel.id, conditions={"min_severty": "high"}))
    flagged(engine)
    assert evaluate(engine, settings, now=NOW)["alerts"] == 1
