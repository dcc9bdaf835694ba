"""Re-triage marks: an engagement update of a young mention asks the score job to judge it again.

The crawl stage calls :func:`mark` in the transaction that writes the new `EngagementSnapshot`s; the
score job takes marked mentions, re-evaluates their spread, severity and priority, and clears the
mark (``mention.retriage_at``). When that changes something that matters it stamps
``mention.retriaged_at``, which the alert evaluation reads past a watermark. No stage calls another.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, update
from sqlalchemy.engine import Connection

from bounceback.tables import Mention
from bounceback.types import MentionStatus

M = Mention.__table__  # type: ignore[attr-defined]
WINDOW = timedelta(hours=48)  # older posts have done their spreading: their engagement is not re-judged
# new: its first scoring reads every snapshot anyway; duplicate: triaged on its original; parked: unread
UNMARKED = (MentionStatus.new.value, MentionStatus.duplicate.value, MentionStatus.parked.value)


def young(now: datetime) -> ColumnElement[bool]:
    """SQL condition: published (else first fetched) within :data:`WINDOW` of ``now``."""
    return func.coalesce(M.c.published_at, M.c.fetched_at) >= now - WINDOW


def mark(conn: Connection, mention_ids: Collection[int], now: datetime) -> int:
    """Mark the young, already triaged ones of ``mention_ids`` for re-triage; returns how many."""
    if not mention_ids:
        return 0
    stmt = (
        update(M)
        .where(M.c.id.in_(sorted(mention_ids)), M.c.status.notin_(UNMARKED), M.c.purged_at.is_(None))
        .where(young(now))
        .values(retriage_at=now)
    )
    return int(conn.execute(stmt).rowcount or 0)
