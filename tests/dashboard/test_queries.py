"""The dashboard's query and action functions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bounceback.db import session
from bounceback.tables import Activity, Alert, Correction, Mention
from dashboard.queries import actions, admin, health, incidents, replies, trends
from dashboard.queries import item as items
from dashboard.queries import queue as q
from tests.dashboard.seed import add_users, seed
from tests.factories import make_mention, make_source


@pytest.fixture
def data(engine):
    return seed(engine, users=False)


def test_queue_lists_flagged_items_by_priority_and_leaves_closed_ones_out(engine, data):
    page = q.load_queue(q.QueueFilters(), engine=engine)
    ids = [r.id for r in page.rows]
    m = data.mentions
    assert ids == [m["urgent"], m["breached"], m["incident2"], m["low"]]
    assert page.total == 4
    assert m["older"] not in ids and m["quiet"] not in ids


def test_queue_filters_narrow_by_severity_source_language_incident_and_mine(engine, data):
    m = data.mentions
    only = lambda **kw: [r.id for r in q.load_queue(q.QueueFilters(**kw), user="alice", engine=engine).rows]  # noqa: E731
    assert only(severities=("high",)) == [m["breached"], m["incident2"]]
    assert only(sources=(data.sources["appstore"],)) == [m["low"]]
    assert only(languages=("de",)) == [m["breached"]]
    assert only(incident_id=data.incident) == [m["breached"], m["incident2"]]
    assert only(watches=(data.watch,)) == [m["urgent"], m["breached"], m["incident2"]]
    assert only(mine=True) == []
    q.claim_item(m["low"], "alice", engine=engine)
    assert only(mine=True) == [m["low"]]
    assert only(statuses=("claimed",)) == [m["low"]]


def test_queue_counts_new_since_last_look_and_sla_breaches(engine, data):
    since = data.now - timedelta(minutes=30)
    page = q.load_queue(q.QueueFilters(), seen_since=since, now=data.now, engine=engine)
    assert page.new_count == 1  # only "low" was flagged in the last 30 minutes
    assert [r.id for r in page.rows if r.is_new(since)] == [data.mentions["low"]]
    assert page.breached == 1  # "breached": deadline passed, never claimed
    urgent = page.rows[0]
    assert urgent.sla_left(data.now) == timedelta(minutes=10)
    later = q.load_queue(q.QueueFilters(), now=data.now + timedelta(hours=2), engine=engine)
    # urgent and breached by their stored deadline, incident2 by flagged time + the 60 min high SLA
    assert later.breached == 3


def test_queue_remembers_when_a_user_last_looked(engine, data):
    add_users(engine, {"alice": "agent"})
    assert q.last_seen("alice", engine=engine) is None
    q.mark_seen("alice", data.now, engine=engine)
    assert q.last_seen("alice", engine=engine) == data.now


def test_second_claim_is_refused_with_the_holders_name(engine, data):
    first = q.claim_item(data.mentions["urgent"], "alice", engine=engine)
    second = q.claim_item(data.mentions["urgent"], "bob", engine=engine)
    assert first.ok and not second.ok
    assert second.holder == "alice" and "alice" in second.message


def test_item_shows_the_authors_other_mentions_across_sources_and_earlier_resolutions(engine, data):
    view = items.load_item(data.mentions["urgent"], engine=engine)
    others = {o.id: o for o in view.other_mentions}
    assert set(others) == {data.mentions["older"], data.mentions["after"]}
    assert not others[data.mentions["older"]].same_account  # same handle on the App Store
    assert [e.id for e in view.earlier_resolutions] == [data.mentions["older"]]
    assert view.earlier_resolutions[0].outcome == "apologised"
    assert view.author_name == "Jane Doe"
    assert view.product == "Acme Shop"
    assert view.safe_url == "https://reddit.com/r/acme/1"
    assert [total for _, total in items.engagement_series(view.snapshots)] == [3, 50, 500]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>",
        "//evil.example",
        "http://",
        "vbscript:x",
        "https://ok.example/a b",
        "\x01https://x.example",
    ],
)
def test_only_plain_http_links_are_offered(url):
    assert items.safe_http_url(url) is None


def test_resolving_needs_the_current_version_and_records_the_outcome(engine, data):
    mid = data.mentions["urgent"]
    assert q.claim_item(mid, "alice", engine=engine).ok
    stale = items.load_item(mid, engine=engine).mention.version - 1
    refused = actions.resolve_item(mid, "alice", "fixed", version=stale, engine=engine)
    assert not refused.ok and "changed" in refused.message
    version = items.load_item(mid, engine=engine).mention.version
    done = actions.resolve_item(mid, "alice", "apologised", version=version, note="DM sent", engine=engine)
    assert done.ok
    view = items.load_item(mid, engine=engine)
    assert (view.mention.status, view.mention.outcome, view.mention.resolved_by) == (
        "resolved",
        "apologised",
        "alice",
    )
    assert [a.action for a in view.activity] == ["claimed", "resolved"]


def test_another_agent_cannot_resolve_an_item_someone_holds(engine, data):
    mid = data.mentions["urgent"]
    q.claim_item(mid, "alice", engine=engine)
    version = items.load_item(mid, engine=engine).mention.version
    result = actions.resolve_item(mid, "bob", "fixed", version=version, engine=engine)
    assert not result.ok and result.holder == "alice"


def test_escalation_needs_a_note_and_releases_the_claim(engine, data):
    mid = data.mentions["urgent"]
    q.claim_item(mid, "alice", engine=engine)
    assert not actions.escalate_item(mid, "alice", "  ", engine=engine).ok
    assert actions.escalate_item(mid, "alice", "legal threat", engine=engine).ok
    view = items.load_item(mid, engine=engine)
    assert view.mention.status == "escalated" and view.mention.claimed_by is None
    assert view.activity[-1].note == "legal threat"


def test_relabel_is_stored_as_a_correction_for_training(engine, data):
    mid = data.mentions["low"]
    assert actions.relabel_item(mid, "alice", "not_about_us", note="other Acme", engine=engine).ok
    assert not actions.relabel_item(mid, "alice", "bogus", engine=engine).ok
    with session(engine, readonly=True) as sess:
        rows = sess.execute(select(Correction)).scalars().all()
        acts = sess.execute(select(Activity).where(Activity.mention_id == mid)).scalars().all()
    assert [(c.mention_id, c.label, c.by) for c in rows] == [(mid, "not_about_us", "alice")]
    assert acts[-1].action == "relabelled"


def test_reply_and_follow_up_are_logged(engine, data):
    mid = data.mentions["urgent"]
    assert actions.record_reply(mid, "alice", "Sorry Jane!", template="apology", engine=engine).ok
    version = items.load_item(mid, engine=engine).mention.version
    when = data.now + timedelta(days=3)
    assert actions.set_follow_up(mid, "alice", when, version=version, engine=engine).ok
    view = items.load_item(mid, engine=engine)
    assert view.mention.follow_up_at == when
    assert [a.action for a in view.activity] == ["replied", "follow_up"]


def test_reply_opens_with_an_apology_names_the_person_and_gates_compensation():
    low = replies.ReplyContext(name="Jane Doe", product="Acme", problem="the late delivery", severity="low")
    text = replies.draft_reply("fixing", low, offer_compensation=True)
    assert text.startswith("Hi Jane, I'm sorry about the late delivery with Acme")
    assert "offer" not in text  # low severity: no compensation even when asked
    critical = replies.ReplyContext(name="@tom", product="Acme", problem="x", severity="critical")
    assert replies.draft_reply("apology", critical).startswith("Hi tom, I'm so sorry")
    assert "full refund" in replies.draft_reply("apology", critical, offer_compensation=True)
    assert replies.guess_problem("I was charged twice") == "the problem with your payment"
    assert replies.guess_problem("the parcel arrived late") == "the late delivery"


def test_incidents_group_mentions_and_are_claimed_and_resolved_as_one(engine, data):
    [row] = incidents.list_incidents(engine=engine)
    assert (row.id, row.mentions, row.sources) == (data.incident, 2, ["acme-reddit"])
    timeline = incidents.incident_timeline(data.incident, engine=engine)
    assert int(timeline["mentions"].sum()) == 2
    assert incidents.claim_incident(data.incident, "alice", engine=engine).ok
    assert not incidents.claim_incident(data.incident, "bob", engine=engine).ok
    assert incidents.resolve_incident(data.incident, "alice", "fixed", engine=engine).ok
    statuses = set(incidents.incident_mentions(data.incident, engine=engine)["status"])
    assert statuses == {"resolved"}
    assert incidents.list_incidents(engine=engine) == []


def test_trends_count_volume_sentiment_rating_and_recovery(engine, data):
    window = trends.Window(data.now - timedelta(days=30), data.now + timedelta(minutes=1))
    s = trends.summary(window, now=data.now, engine=engine)
    assert s.mentions == 7 and s.negative == 5
    assert s.share_negative == round(5 / 7, 4)
    assert s.average_rating == 3.0  # ratings 1, 5, 3
    assert s.incidents == 1
    assert s.resolved == 1 and s.recovery_checked == 1 and s.recovered == 1 and s.recovery_rate == 1.0
    assert s.median_minutes_to_claim == 0.0  # "older" was claimed the moment it was flagged
    assert s.median_minutes_to_resolve == 24 * 60
    assert s.sla_breaches == 1
    volume = trends.volume(window, by="source", engine=engine)
    assert int(volume["mentions"].sum()) == 7
    assert set(volume["source"]) == {"acme-reddit", "acme-appstore"}
    by_watch = trends.volume(window, by="watch", engine=engine)
    assert set(by_watch["watch"]) == {"Acme Shop", "(no watch)"}
    assert trends.outcomes(window, engine=engine).to_dict("records") == [
        {"outcome": "apologised", "mentions": 1}
    ]
    topics = trends.top_topics(window, engine=engine)
    assert "checkout" in set(topics["topic"])
    assert (
        trends.to_csv(volume).decode().splitlines()[0]
        == "day,source,mentions,negative,average_rating,share_negative"
    )


def test_trends_count_a_post_seen_via_two_sources_once(engine, data):
    window = trends.Window(data.now - timedelta(days=30), data.now + timedelta(minutes=1))
    with session(engine) as sess:
        original = sess.get(Mention, data.mentions["after"])
        copy = Mention.model_validate(
            original.model_dump(exclude={"id"})
            | {"external_id": "copy-of-after", "status": "duplicate", "duplicate_of_id": original.id}
        )
        sess.add(copy)
    assert trends.summary(window, now=data.now, engine=engine).mentions == 7
    assert int(trends.volume(window, engine=engine)["mentions"].sum()) == 7


def test_recovery_counts_a_negative_next_mention_as_not_recovered(engine, data):
    window = trends.Window(data.now - timedelta(days=30), data.now + timedelta(minutes=1))
    with session(engine) as sess:
        after = sess.get(Mention, data.mentions["after"])
        after.sentiment = "negative"
        sess.add(after)
    s = trends.summary(window, now=data.now, engine=engine)
    assert (s.recovery_checked, s.recovered, s.recovery_rate) == (1, 0, 0.0)


def test_source_health_and_data_warnings(engine, data):
    states = {h.name: h.state for h in health.source_health(now=data.now, engine=engine)}
    assert states == {"acme-appstore": "incomplete", "acme-reddit": "ok"}
    warnings = health.data_warnings(engine=engine)
    assert warnings.incomplete == ["acme-appstore"] and warnings.dead_alerts == 0
    with session(engine) as sess:
        sess.add(Alert(dedup_key="x", status="dead", last_error="410 Gone"))
    assert health.data_warnings(engine=engine).dead_alerts == 1
    runs = health.recent_runs(engine=engine)
    assert list(runs["status"]) == ["ok", "failed"] and list(runs["errors"]) == [0, 1]
    assert "duplicate" in runs.columns


def test_admin_settings_store_sla_channels_and_rules(engine):
    assert admin.save_sla_minutes({"critical": 5, "high": 30}, "ada", engine=engine)["critical"] == 5
    assert admin.sla_minutes(engine=engine)["low"] == 1440
    with pytest.raises(Exception, match="positive"):
        admin.save_sla_minutes({"critical": 0}, "ada", engine=engine)
    channel = admin.add_channel("care", "slack", {"channel": "#care"}, engine=engine)
    rule = admin.add_rule("critical to care", channel.id, {"min_severity": "critical"}, engine=engine)
    assert [r.name for r in admin.list_rules(engine=engine)] == [rule.name]
    with pytest.raises(Exception, match="JSON"):
        admin.parse_json_object("{nope", "config")
    with pytest.raises(Exception, match="already exists"):
        admin.add_channel("care", "email", {}, engine=engine)


def test_follow_ups_come_due_for_the_agent_who_resolved(engine, data):
    mid = data.mentions["low"]
    version = items.load_item(mid, engine=engine).mention.version
    when = data.now + timedelta(days=3)
    assert actions.resolve_item(mid, "alice", "fixed", version=version, follow_up_at=when, engine=engine).ok
    assert q.follow_ups_due(user="alice", now=data.now, engine=engine) == []
    due = q.follow_ups_due(user="alice", now=when + timedelta(minutes=1), engine=engine)
    assert [(f.id, f.outcome) for f in due] == [(mid, "fixed")]
    assert q.follow_ups_due(user="bob", now=when + timedelta(minutes=1), engine=engine) == []


def test_a_resolved_item_can_be_reopened(engine, data):
    mid = data.mentions["older"]
    assert actions.reopen_item(mid, "alice", "customer wrote again", engine=engine).ok
    assert items.load_item(mid, engine=engine).mention.status == "reopened"
    assert mid in [r.id for r in q.load_queue(q.QueueFilters(), engine=engine).rows]
    assert not actions.reopen_item(mid, "alice", engine=engine).ok  # already open


def test_equal_priority_goes_to_the_worse_severity_then_the_nearest_deadline(engine):

    source = make_source(engine)
    now = data_now = __import__("bounceback.types", fromlist=["utcnow"]).utcnow()
    low = make_mention(engine, source, severity="low", priority=0.5, sla_due_at=now + timedelta(minutes=1))
    late = make_mention(
        engine, source, severity="high", priority=0.5, sla_due_at=data_now + timedelta(hours=2)
    )
    soon = make_mention(
        engine, source, severity="high", priority=0.5, sla_due_at=data_now + timedelta(minutes=5)
    )
    top = make_mention(engine, source, severity="low", priority=0.9)
    ids = [r.id for r in q.load_queue(q.QueueFilters(), engine=engine).rows]
    assert ids == [top.id, soon.id, late.id, low.id]
