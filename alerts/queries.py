"""Read-only views of the outbox for the dashboard and `bounceback status`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, desc, func, select

from alerts.sql import AL, CH
from bounceback.db import get_engine


@dataclass(frozen=True)
class DeadAlert:
    """An alert that will not be delivered, and why."""

    id: int
    channel: str | None
    kind: str
    mention_id: int | None
    incident_id: int | None
    attempts: int
    reason: str
    created_at: datetime


def dead_alerts(*, limit: int = 50, engine: Engine | None = None) -> list[DeadAlert]:
    """The newest dead alerts with their reasons (permanent failures, attempts exhausted)."""
    with (engine or get_engine()).execution_options(readonly=True).connect() as conn:
        rows = conn.execute(
            select(
                AL.c.id,
                CH.c.name,
                AL.c.kind,
                AL.c.mention_id,
                AL.c.incident_id,
                AL.c.attempts,
                AL.c.last_error,
                AL.c.created_at,
            )
            .outerjoin(CH, CH.c.id == AL.c.channel_id)
            .where(AL.c.status == "dead")
            .order_by(desc(AL.c.id))
            .limit(limit)
        ).all()
    return [
        DeadAlert(
            r.id, r.name, r.kind, r.mention_id, r.incident_id, r.attempts, r.last_error or "", r.created_at
        )
        for r in rows
    ]


def outbox_counts(*, engine: Engine | None = None) -> dict[str, int]:
    """Alerts per status (requests routed by the rules are left out)."""
    with (engine or get_engine()).execution_options(readonly=True).connect() as conn:
        rows = conn.execute(
            select(AL.c.status, func.count()).where(AL.c.kind != "request").group_by(AL.c.status)
        ).all()
    return {str(status): int(n) for status, n in rows}


def requeue(alert_id: int, *, engine: Engine | None = None) -> bool:
    """Give a dead alert another try (after fixing its channel); True if it was dead."""
    from bounceback.types import utcnow

    with (engine or get_engine()).begin() as conn:
        done = conn.execute(
            AL.update()
            .where(AL.c.id == alert_id, AL.c.status == "dead")
            .values(status="pending", attempts=0, next_attempt_at=utcnow(), last_error=None)
        ).rowcount
    return bool(done)
