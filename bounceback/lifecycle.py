"""State changes of a mention: claim, release, resolve, dismiss, escalate, reopen, note, follow-up.

Each change is ONE conditional UPDATE whose rowcount says whether it applied, plus its `Activity` row,
in the same transaction. Nothing here reads and then writes: when an UPDATE matches no row, the row is
read only to explain why (who holds it, which version it is at).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlmodel import col

from bounceback.db import get_engine, session
from bounceback.errors import AlreadyClaimed, InvalidInput, InvalidTransition, NotFound, VersionConflict
from bounceback.tables import Activity, Incident, Mention
from bounceback.types import CLAIMABLE, CLOSED, ActivityAction, MentionStatus, Outcome, utcnow

M = Mention.__table__  # type: ignore[attr-defined]
I = Incident.__table__  # type: ignore[attr-defined]  # noqa: E741
A = Activity.__table__  # type: ignore[attr-defined]
# no agent action applies: closed, or a copy of a post another source stored first (act on that one)
FINAL = [s.value for s in (*CLOSED, MentionStatus.duplicate)]


@dataclass(frozen=True)
class Change:
    """What a successful state change left behind."""

    mention_id: int
    status: str
    version: int
    actor: str


def log_activity(
    conn: Connection,
    action: ActivityAction | str,
    actor: str,
    *,
    mention_id: int | None = None,
    incident_id: int | None = None,
    note: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one `Activity` row inside the caller's transaction."""
    conn.execute(
        insert(A).values(
            mention_id=mention_id,
            incident_id=incident_id,
            action=str(action),
            actor=actor,
            note=note,
            details=details or {},
            created_at=utcnow(),
        )
    )


def _explain(conn: Connection, mention_id: int, expected_version: int | None, action: str) -> Exception:
    row = conn.execute(
        select(M.c.status, M.c.claimed_by, M.c.version, M.c.duplicate_of_id).where(M.c.id == mention_id)
    ).one_or_none()
    if row is None:
        return NotFound(f"mention {mention_id} does not exist")
    if expected_version is not None and row.version != expected_version:
        return VersionConflict(mention_id, expected_version, row.version)
    if row.claimed_by is not None:
        return AlreadyClaimed(mention_id, row.claimed_by)
    if row.status == MentionStatus.duplicate.value:
        original = f"#{row.duplicate_of_id}" if row.duplicate_of_id else "the first copy"
        return InvalidTransition(
            f"cannot {action} mention {mention_id}: it is a copy of {original} (seen via another source); "
            "act on that one"
        )
    return InvalidTransition(f"cannot {action} mention {mention_id}: it is {row.status}")


def _apply(
    mention_id: int,
    action: ActivityAction,
    actor: str,
    values: dict[str, Any],
    condition: Any,
    *,
    expected_version: int | None = None,
    note: str | None = None,
    details: dict[str, Any] | None = None,
    engine: Engine | None = None,
) -> Change:
    if not actor or not actor.strip():
        raise InvalidInput("an actor (user name) is required")
    where = [M.c.id == mention_id, condition]
    if expected_version is not None:
        where.append(M.c.version == expected_version)
    values = {**values, "version": M.c.version + 1, "updated_at": utcnow()}
    with (engine or get_engine()).begin() as conn:
        row = conn.execute(
            update(M).where(and_(*where)).values(**values).returning(M.c.status, M.c.version)
        ).one_or_none()
        if row is None:
            raise _explain(conn, mention_id, expected_version, action.value)
        log_activity(conn, action, actor, mention_id=mention_id, note=note, details=details)
    return Change(mention_id, row.status, row.version, actor)


def claim(mention_id: int, user: str, *, engine: Engine | None = None) -> Change:
    """Give ``user`` the mention if nobody holds it; else raise `AlreadyClaimed` naming the holder."""
    now = utcnow()
    return _apply(
        mention_id,
        ActivityAction.claimed,
        user,
        {
            "claimed_by": user,
            "claimed_at": now,
            "status": MentionStatus.claimed.value,
            "first_claimed_at": func.coalesce(M.c.first_claimed_at, now),
        },
        and_(M.c.claimed_by.is_(None), M.c.status.in_([s.value for s in CLAIMABLE])),
        engine=engine,
    )


def release(mention_id: int, user: str, *, force: bool = False, engine: Engine | None = None) -> Change:
    """Put a claimed mention back on the queue (only its holder may, unless ``force``)."""
    held = M.c.status == MentionStatus.claimed.value
    condition = held if force else and_(held, M.c.claimed_by == user)
    return _apply(
        mention_id,
        ActivityAction.released,
        user,
        {"claimed_by": None, "claimed_at": None, "status": MentionStatus.open.value},
        condition,
        engine=engine,
    )


def _not_held_by_other(user: str) -> Any:
    return or_(M.c.claimed_by.is_(None), M.c.claimed_by == user)


def resolve(
    mention_id: int,
    user: str,
    outcome: Outcome | str,
    *,
    version: int,
    note: str | None = None,
    follow_up_at: datetime | None = None,
    engine: Engine | None = None,
) -> Change:
    """Close the mention with an outcome; refused if ``version`` is stale or someone else holds it."""
    try:
        outcome = Outcome(outcome)
    except ValueError:
        choices = ", ".join(o.value for o in Outcome)
        raise InvalidInput(f"unknown outcome {outcome!r}; choose one of {choices}") from None
    now = utcnow()
    return _apply(
        mention_id,
        ActivityAction.resolved,
        user,
        {
            "status": MentionStatus.resolved.value,
            "outcome": outcome.value,
            "resolved_at": now,
            "resolved_by": user,
            "claimed_by": None,
            "claimed_at": None,
            "follow_up_at": follow_up_at,
        },
        and_(_not_held_by_other(user), M.c.status.notin_(FINAL)),
        expected_version=version,
        note=note,
        details={"outcome": outcome.value},
        engine=engine,
    )


def dismiss(
    mention_id: int, user: str, *, version: int, note: str | None = None, engine: Engine | None = None
) -> Change:
    """Close the mention as needing nothing (spam, not a complaint)."""
    return _apply(
        mention_id,
        ActivityAction.dismissed,
        user,
        {
            "status": MentionStatus.dismissed.value,
            "resolved_at": utcnow(),
            "resolved_by": user,
            "claimed_by": None,
            "claimed_at": None,
        },
        and_(_not_held_by_other(user), M.c.status.notin_(FINAL)),
        expected_version=version,
        note=note,
        engine=engine,
    )


def escalate(
    mention_id: int,
    user: str,
    *,
    note: str | None = None,
    version: int | None = None,
    engine: Engine | None = None,
) -> Change:
    """Hand the mention up to supervisors: status escalated, claim released, reason noted."""
    return _apply(
        mention_id,
        ActivityAction.escalated,
        user,
        {
            "status": MentionStatus.escalated.value,
            "escalated_at": utcnow(),
            "claimed_by": None,
            "claimed_at": None,
        },
        and_(_not_held_by_other(user), M.c.status.notin_([*FINAL, "escalated"])),
        expected_version=version,
        note=note,
        engine=engine,
    )


def reopen(
    mention_id: int,
    user: str,
    *,
    note: str | None = None,
    version: int | None = None,
    engine: Engine | None = None,
) -> Change:
    """Put a resolved or dismissed mention back on the queue."""
    return _apply(
        mention_id,
        ActivityAction.reopened,
        user,
        {"status": MentionStatus.reopened.value, "resolved_at": None, "resolved_by": None, "outcome": None},
        M.c.status.in_([s.value for s in CLOSED]),
        expected_version=version,
        note=note,
        engine=engine,
    )


def add_note(
    mention_id: int,
    user: str,
    note: str,
    *,
    action: ActivityAction = ActivityAction.note,
    details: dict[str, Any] | None = None,
    engine: Engine | None = None,
) -> None:
    """Record a note or a reply on a mention without changing its state."""
    if not note.strip():
        raise InvalidInput("the note is empty")
    with (engine or get_engine()).begin() as conn:
        if conn.execute(select(M.c.id).where(M.c.id == mention_id)).first() is None:
            raise NotFound(f"mention {mention_id} does not exist")
        log_activity(conn, action, user, mention_id=mention_id, note=note, details=details)


def set_follow_up(
    mention_id: int, user: str, when: datetime, *, version: int, engine: Engine | None = None
) -> Change:
    """Plan a follow-up with the customer at ``when``."""
    return _apply(
        mention_id,
        ActivityAction.follow_up,
        user,
        {"follow_up_at": when},
        M.c.id == mention_id,
        expected_version=version,
        details={"follow_up_at": when.isoformat()},
        engine=engine,
    )


def expire_stale_claims(ttl: timedelta, *, engine: Engine | None = None) -> list[int]:
    """Return claims older than ``ttl`` to the queue, logging each; returns the mention ids."""
    cutoff = utcnow() - ttl
    with (engine or get_engine()).begin() as conn:
        rows = conn.execute(
            update(M)
            .where(M.c.status == MentionStatus.claimed.value, M.c.claimed_at < cutoff)
            .values(
                status=MentionStatus.open.value,
                claimed_by=None,
                claimed_at=None,
                version=M.c.version + 1,
                updated_at=utcnow(),
            )
            .returning(M.c.id)
        ).all()
        for (mention_id,) in rows:
            log_activity(
                conn,
                ActivityAction.claim_expired,
                "system",
                mention_id=mention_id,
                details={"ttl_minutes": int(ttl.total_seconds() // 60)},
            )
    return [r[0] for r in rows]


def claim_incident(incident_id: int, user: str, *, engine: Engine | None = None) -> int:
    """Claim an incident and every unclaimed open mention in it; returns how many mentions."""
    with (engine or get_engine()).begin() as conn:
        won = conn.execute(
            update(I)
            .where(I.c.id == incident_id, I.c.claimed_by.is_(None), I.c.status == "open")
            .values(claimed_by=user, claimed_at=utcnow(), version=I.c.version + 1)
        ).rowcount
        if not won:
            row = conn.execute(select(I.c.claimed_by, I.c.status).where(I.c.id == incident_id)).first()
            if row is None:
                raise NotFound(f"incident {incident_id} does not exist")
            if row.claimed_by:
                raise InvalidTransition(f"incident {incident_id} is already claimed by {row.claimed_by}")
            raise InvalidTransition(f"cannot claim incident {incident_id}: it is {row.status}")
        ids = _take_mentions(conn, incident_id, user)
        log_activity(conn, ActivityAction.claimed, user, incident_id=incident_id, details={"mentions": ids})
    return len(ids)


def _take_mentions(conn: Connection, incident_id: int, user: str) -> list[int]:
    now = utcnow()
    rows = conn.execute(
        update(M)
        .where(
            M.c.incident_id == incident_id,
            M.c.claimed_by.is_(None),
            M.c.status.in_([s.value for s in CLAIMABLE]),
        )
        .values(
            claimed_by=user,
            claimed_at=now,
            status=MentionStatus.claimed.value,
            first_claimed_at=func.coalesce(M.c.first_claimed_at, now),
            version=M.c.version + 1,
            updated_at=now,
        )
        .returning(M.c.id)
    ).all()
    ids = [r[0] for r in rows]
    for mention_id in ids:
        log_activity(
            conn, ActivityAction.claimed, user, mention_id=mention_id, details={"incident_id": incident_id}
        )
    return ids


def resolve_incident(
    incident_id: int,
    user: str,
    outcome: Outcome | str,
    *,
    note: str | None = None,
    engine: Engine | None = None,
) -> int:
    """Resolve an incident and each of its mentions that ``user`` holds or nobody holds."""
    outcome = Outcome(outcome)
    now = utcnow()
    with (engine or get_engine()).begin() as conn:
        done = conn.execute(
            update(I)
            .where(
                I.c.id == incident_id,
                I.c.status != "resolved",
                or_(I.c.claimed_by.is_(None), I.c.claimed_by == user),
            )
            .values(status="resolved", resolved_at=now, outcome=outcome.value, version=I.c.version + 1)
        ).rowcount
        if not done:
            raise InvalidTransition(f"incident {incident_id} is missing, resolved or held by someone else")
        rows = conn.execute(
            update(M)
            .where(
                M.c.incident_id == incident_id,
                _not_held_by_other(user),
                M.c.status.notin_(FINAL),
            )
            .values(
                status=MentionStatus.resolved.value,
                outcome=outcome.value,
                resolved_at=now,
                resolved_by=user,
                claimed_by=None,
                claimed_at=None,
                version=M.c.version + 1,
                updated_at=now,
            )
            .returning(M.c.id)
        ).all()
        for (mention_id,) in rows:
            log_activity(
                conn,
                ActivityAction.resolved,
                user,
                mention_id=mention_id,
                note=note,
                details={"outcome": outcome.value, "incident_id": incident_id},
            )
        log_activity(
            conn,
            ActivityAction.resolved,
            user,
            incident_id=incident_id,
            note=note,
            details={"outcome": outcome.value, "mentions": [r[0] for r in rows]},
        )
    return len(rows)


def history(mention_id: int, *, engine: Engine | None = None) -> list[Activity]:
    """The mention's activity log, oldest first."""
    with session(engine, readonly=True) as sess:
        query = select(Activity).where(col(Activity.mention_id) == mention_id).order_by(col(Activity.id))
        return list(sess.execute(query).scalars().all())
