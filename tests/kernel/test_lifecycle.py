from datetime import timedelta

import pytest
import time_machine

from bounceback import lifecycle
from bounceback.errors import AlreadyClaimed, InvalidInput, InvalidTransition, NotFound, VersionConflict
from bounceback.mentions import get_mention
from tests.factories import make_mention


def test_second_claim_is_refused_with_holder_name(engine):
    mention = make_mention(engine)
    lifecycle.claim(mention.id, "alice")
    with pytest.raises(AlreadyClaimed, match="already claimed by alice") as info:
        lifecycle.claim(mention.id, "bob")
    assert info.value.holder == "alice"


def test_claim_of_missing_mention_says_it_does_not_exist(engine):
    with pytest.raises(NotFound):
        lifecycle.claim(999_999, "alice")


def test_resolve_with_stale_version_is_refused_and_changes_nothing(engine):
    mention = make_mention(engine)
    claimed = lifecycle.claim(mention.id, "alice")
    lifecycle.add_note(mention.id, "alice", "called the customer")
    with pytest.raises(VersionConflict, match="reload"):
        lifecycle.resolve(mention.id, "alice", "apologised", version=claimed.version - 1)
    assert get_mention(mention.id).status == "claimed"
    done = lifecycle.resolve(mention.id, "alice", "apologised", version=claimed.version)
    assert done.status == "resolved"
    assert get_mention(mention.id).outcome == "apologised"


def test_someone_else_cannot_resolve_a_held_mention(engine):
    mention = make_mention(engine)
    change = lifecycle.claim(mention.id, "alice")
    with pytest.raises(AlreadyClaimed):
        lifecycle.resolve(mention.id, "bob", "fixed", version=change.version)


def test_unknown_outcome_is_refused(engine):
    mention = make_mention(engine)
    with pytest.raises(InvalidInput, match="unknown outcome"):
        lifecycle.resolve(mention.id, "alice", "bribed", version=1)


def test_activity_log_holds_every_action_in_order(engine):
    mention = make_mention(engine)
    lifecycle.claim(mention.id, "alice")
    lifecycle.release(mention.id, "alice")
    lifecycle.claim(mention.id, "bob")
    change = lifecycle.escalate(mention.id, "bob", note="legal threat")
    lifecycle.claim(mention.id, "carol")
    lifecycle.add_note(mention.id, "carol", "apologised in DM")
    change = lifecycle.resolve(mention.id, "carol", "apologised", version=get_mention(mention.id).version)
    lifecycle.reopen(mention.id, "carol", note="customer wrote again")
    log = lifecycle.history(mention.id)
    assert [(a.action, a.actor) for a in log] == [
        ("claimed", "alice"),
        ("released", "alice"),
        ("claimed", "bob"),
        ("escalated", "bob"),
        ("claimed", "carol"),
        ("note", "carol"),
        ("resolved", "carol"),
        ("reopened", "carol"),
    ]
    assert log[3].note == "legal threat"
    assert change.version < get_mention(mention.id).version


def test_release_by_someone_else_is_refused(engine):
    mention = make_mention(engine)
    lifecycle.claim(mention.id, "alice")
    with pytest.raises(AlreadyClaimed):
        lifecycle.release(mention.id, "bob")
    lifecycle.release(mention.id, "bob", force=True)
    assert get_mention(mention.id).claimed_by is None


def test_resolved_mention_cannot_be_claimed(engine):
    mention = make_mention(engine)
    lifecycle.resolve(mention.id, "alice", "fixed", version=1)
    with pytest.raises(InvalidTransition, match="resolved"):
        lifecycle.claim(mention.id, "bob")


def test_stale_claims_expire_back_to_the_queue_and_are_logged(engine):
    old = make_mention(engine)
    fresh = make_mention(engine)
    with time_machine.travel("2026-01-01 09:00Z"):
        lifecycle.claim(old.id, "alice")
    with time_machine.travel("2026-01-01 12:00Z"):
        lifecycle.claim(fresh.id, "bob")
        expired = lifecycle.expire_stale_claims(timedelta(hours=2))
    assert expired == [old.id]
    assert get_mention(old.id).status == "open"
    assert get_mention(fresh.id).claimed_by == "bob"
    assert lifecycle.history(old.id)[-1].action == "claim_expired"


def test_first_claim_time_is_kept_across_reclaims(engine):
    mention = make_mention(engine)
    with time_machine.travel("2026-01-01 09:00Z"):
        lifecycle.claim(mention.id, "alice")
        lifecycle.release(mention.id, "alice")
    with time_machine.travel("2026-01-01 10:00Z"):
        lifecycle.claim(mention.id, "bob")
    assert get_mention(mention.id).first_claimed_at.hour == 9


def test_incident_is_claimed_and_resolved_as_one(engine):
    from bounceback.db import session
    from bounceback.tables import Incident

    with session(engine) as sess:
        incident = Incident(title="checkout down")
        sess.add(incident)
        sess.flush()
    a = make_mention(engine, incident_id=incident.id)
    b = make_mention(engine, incident_id=incident.id)
    assert lifecycle.claim_incident(incident.id, "alice") == 2
    with pytest.raises(InvalidTransition, match="alice"):
        lifecycle.claim_incident(incident.id, "bob")
    assert lifecycle.resolve_incident(incident.id, "alice", "fixed") == 2
    assert {get_mention(a.id).status, get_mention(b.id).status} == {"resolved"}


def test_a_copy_seen_via_another_source_cannot_be_claimed_resolved_dismissed_or_escalated(engine):
    original = make_mention(engine)
    copy = make_mention(engine, status="duplicate", duplicate_of_id=original.id)
    with pytest.raises(InvalidTransition):
        lifecycle.claim(copy.id, "alice")
    for act in (
        lambda: lifecycle.resolve(copy.id, "alice", "apologised", version=1),
        lambda: lifecycle.dismiss(copy.id, "alice", version=1),
        lambda: lifecycle.escalate(copy.id, "alice"),
    ):
        with pytest.raises(InvalidTransition, match=f"copy of #{original.id}.*act on that one"):
            act()
    assert get_mention(copy.id).status == "duplicate"
    assert lifecycle.resolve(original.id, "alice", "apologised", version=1).status == "resolved"
