"""Dead-man's switch: a source that stopped crawling successfully is marked incomplete and raises ONE
ops alert per gap, so nobody reads silence as "all quiet".

A source is overdue when its last success (or its creation, if it never succeeded) is more than
``missed_intervals`` crawl intervals ago. Then ``Source.incomplete_since`` is set to that moment and an
``Alert`` of kind ``ops`` is written to the outbox with the dedup key ``deadman:<source>:<moment>``:
the unique key makes a second insert for the same gap a no-op, whoever runs the check and how often.
There is one such row per enabled channel (key suffix ``:channel:<id>``; one channel-less row when
there is no channel yet, which `bounceback status` and the dashboard still show): the alerts stage
delivers them like any other outbox row. When the source succeeds again, ``incomplete_since`` is cleared.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bounceback.db import get_engine
from bounceback.tables import Alert, Channel, Source
from bounceback.types import utcnow

log = logging.getLogger(__name__)
S = Source.__table__  # type: ignore[attr-defined]
AL = Alert.__table__  # type: ignore[attr-defined]
CH = Channel.__table__  # type: ignore[attr-defined]


def dedup_key(source_id: int, since: datetime) -> str:
    """The outbox key of one gap of one source."""
    return f"deadman:{source_id}:{since.isoformat(timespec='seconds')}"


def check_sources(
    missed_intervals: int, *, engine: Engine | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Mark overdue sources incomplete (one ops alert each), clear recovered ones; returns counts."""
    engine = engine or get_engine()
    now = now or utcnow()
    counts = {"checked": 0, "overdue": 0, "alerts": 0, "recovered": 0}
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                S.c.id,
                S.c.name,
                S.c.kind,
                S.c.interval_seconds,
                S.c.created_at,
                S.c.last_success_at,
                S.c.last_error,
                S.c.incomplete_since,
            ).where(S.c.enabled.is_(True))
        ).all()
    for row in rows:
        counts["checked"] += 1
        since = row.last_success_at or row.created_at
        allowed = timedelta(seconds=max(1, row.interval_seconds) * missed_intervals)
        if now - since > allowed:
            counts["overdue"] += 1
            counts["alerts"] += _raise(engine, row, since, missed_intervals, now)
        elif row.incomplete_since is not None and row.last_success_at is not None:
            with engine.begin() as conn:
                cleared = conn.execute(
                    update(S)
                    .where(S.c.id == row.id, S.c.incomplete_since == row.incomplete_since)
                    .values(incomplete_since=None)
                ).rowcount
            if cleared:
                counts["recovered"] += 1
                log.info("source %s recovered: crawled successfully at %s", row.name, row.last_success_at)
    return counts


def _raise(engine: Engine, row: Any, since: datetime, missed_intervals: int, now: datetime) -> int:
    missed = int((now - since).total_seconds() // max(1, row.interval_seconds))
    message = (
        f"source {row.name} ({row.kind}) has not crawled successfully since "
        f"{since.isoformat(timespec='seconds')} ({missed} intervals of {row.interval_seconds}s missed); "
        "mentions since then may be missing"
    )
    payload = {
        "source_id": row.id,
        "source": row.name,
        "kind": row.kind,
        "since": since.isoformat(),
        "missed_intervals": missed,
        "threshold_intervals": missed_intervals,
        "interval_seconds": row.interval_seconds,
        "last_error": row.last_error,
        "title": f"Source {row.name} has gone quiet: its data is incomplete",
        "text": message,
    }
    dialect: Any = postgresql if engine.dialect.name == "postgresql" else sqlite
    with engine.begin() as conn:
        conn.execute(
            update(S).where(S.c.id == row.id, S.c.incomplete_since.is_(None)).values(incomplete_since=since)
        )
        channels = list(
            conn.execute(select(CH.c.id).where(CH.c.enabled.is_(True)).order_by(CH.c.id)).scalars()
        )
        inserted = 0
        for channel_id in channels or [None]:
            key = dedup_key(row.id, since) + (f":channel:{channel_id}" if channel_id is not None else "")
            stmt = (
                dialect.insert(AL)
                .values(
                    dedup_key=key,
                    channel_id=channel_id,
                    kind="ops",
                    severity="high",
                    status="pending",
                    group_key=f"ops:source:{row.id}",
                    next_attempt_at=now,
                    created_at=now,
                    payload=payload,
                    attempts=0,
                )
                .on_conflict_do_nothing(index_elements=[AL.c.dedup_key])
                .returning(AL.c.id)
            )
            inserted += conn.execute(stmt).first() is not None
    if inserted:
        log.warning("dead-man: %s", message, extra={"source_id": row.id, "alert": "ops"})
    return int(inserted)
