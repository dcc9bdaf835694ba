"""Escalation: a flagged mention nobody claimed within its SLA goes up to the supervisors.

One transaction per batch: the conditional UPDATE that marks the mention escalated (status
``escalated``, ``escalated_at``; the queue shows it), its ``escalated`` `Activity`, and the outbox rows
for every rule with event ``sla``. The SLA is ``mention.sla_due_at`` when set, else ``flagged_at`` +
``Settings.sla_minutes[severity]``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, or_, select, update

from alerts.outbox import M, alert_mention, mention_query
from alerts.rules import active_rules
from bounceback.db import get_engine
from bounceback.lifecycle import log_activity
from bounceback.settings import Settings, get_settings
from bounceback.types import ActivityAction, utcnow

WAITING = ("open", "reopened")
BATCH = 200


def _overdue(settings: Settings, now: datetime) -> ColumnElement[bool]:
    by_severity = [
        and_(M.c.severity == severity, M.c.flagged_at < now - timedelta(minutes=minutes))
        for severity, minutes in settings.sla_minutes.items()
    ]
    return or_(M.c.sla_due_at < now, and_(M.c.sla_due_at.is_(None), or_(*by_severity)))


def escalate_overdue(
    engine: Engine | None = None, settings: Settings | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Escalate every unclaimed flagged mention past its SLA; returns counts."""
    engine, settings, now = engine or get_engine(), settings or get_settings(), now or utcnow()
    counts = {"escalated": 0, "alerts": 0}
    while True:
        with engine.begin() as conn:
            rules = active_rules(conn, "sla")
            ids = (
                conn.execute(
                    update(M)
                    .where(
                        M.c.id.in_(
                            select(M.c.id)
                            .where(
                                M.c.status.in_(WAITING),
                                M.c.claimed_by.is_(None),
                                M.c.escalated_at.is_(None),
                                M.c.flagged_at.is_not(None),
                                _overdue(settings, now),
                            )
                            .limit(BATCH)
                            .scalar_subquery()
                        ),
                        M.c.claimed_by.is_(None),
                        M.c.status.in_(WAITING),
                    )
                    .values(status="escalated", escalated_at=now, version=M.c.version + 1, updated_at=now)
                    .returning(M.c.id)
                )
                .scalars()
                .all()
            )
            for row in conn.execute(mention_query().where(M.c.id.in_(ids))).all() if ids else []:
                due = row.sla_due_at.isoformat() if row.sla_due_at else "flagged_at + SLA"
                log_activity(
                    conn,
                    ActivityAction.escalated,
                    "system",
                    mention_id=row.id,
                    note=f"unclaimed past its SLA ({row.severity or 'unknown severity'}, due {due})",
                    details={"reason": "sla"},
                )
                counts["alerts"] += alert_mention(
                    conn, row, rules, kind="escalation", settings=settings, now=now
                )
            counts["escalated"] += len(ids)
        if len(ids) < BATCH:
            return counts
