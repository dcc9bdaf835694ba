"""Daily and weekly digests for marketing: volume, sentiment, top complaints, recovery times.

A channel with ``config.digest`` = ``daily`` or ``weekly`` gets one digest per period (days and
ISO weeks in the channel's timezone), raised once the period is over; the dedup key
``digest:<channel>:<period start>`` makes the job safe to run every hour.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, desc, func, select
from sqlalchemy.engine import Connection

from alerts.message import clean_text, item_link
from alerts.outbox import AL, M, enqueue
from alerts.sql import CH, SRC
from alerts.storm import zone
from bounceback.db import get_engine
from bounceback.settings import Settings, get_settings
from bounceback.types import utcnow

TOP_N = 5


def last_period(period: str, timezone: str, now: datetime) -> tuple[datetime, datetime, str]:
    """(start, end, label) of the last complete day or ISO week before ``now`` in ``timezone``."""
    tz = zone(timezone)
    today = now.astimezone(tz).date()
    if period == "weekly":
        this_monday = today - timedelta(days=today.weekday())
        first: date = this_monday - timedelta(days=7)
        last = this_monday
        label = f"week {first.isocalendar().week} of {first.isocalendar().year}"
    else:
        first, last = today - timedelta(days=1), today
        label = first.isoformat()
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last, time(0), tzinfo=tz)
    return start.astimezone(now.tzinfo), end.astimezone(now.tzinfo), label


def _minutes(deltas: list[timedelta]) -> list[float]:
    return sorted(d.total_seconds() / 60 for d in deltas if d.total_seconds() >= 0)


def build_digest(conn: Connection, start: datetime, end: datetime, dashboard_url: str) -> dict[str, Any]:
    """The digest payload of the period [start, end)."""
    in_period = (M.c.fetched_at >= start) & (M.c.fetched_at < end)
    volume = conn.execute(select(func.count()).select_from(M).where(in_period)).scalar_one()
    sentiment: dict[Any, Any] = dict(
        conn.execute(
            select(M.c.sentiment, func.count())
            .where(in_period, M.c.sentiment.is_not(None))
            .group_by(M.c.sentiment)
        ).all()
    )
    flagged_q = (M.c.flagged_at >= start) & (M.c.flagged_at < end)
    flagged = conn.execute(select(func.count()).select_from(M).where(flagged_q)).scalar_one()
    top = conn.execute(
        select(M.c.id, M.c.severity, M.c.title, M.c.text, SRC.c.name)
        .join(SRC, SRC.c.id == M.c.source_id)
        .where(flagged_q)
        .order_by(desc(M.c.priority), M.c.id)
        .limit(TOP_N)
    ).all()
    claims = conn.execute(
        select(M.c.flagged_at, M.c.first_claimed_at).where(flagged_q, M.c.first_claimed_at.is_not(None))
    ).all()
    resolved = conn.execute(
        select(M.c.flagged_at, M.c.resolved_at, M.c.outcome).where(
            M.c.resolved_at >= start, M.c.resolved_at < end, M.c.flagged_at.is_not(None)
        )
    ).all()
    to_claim = _minutes([c.first_claimed_at - c.flagged_at for c in claims])
    to_resolve = _minutes([r.resolved_at - r.flagged_at for r in resolved])
    outcomes: dict[str, int] = {}
    for r in resolved:
        if r.outcome:
            outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
    return {
        "start": start.isoformat(timespec="minutes"),
        "end": end.isoformat(timespec="minutes"),
        "volume": volume,
        "sentiment": {str(k): int(v) for k, v in sentiment.items()},
        "flagged": flagged,
        "top": [
            {
                "mention_id": t.id,
                "severity": t.severity,
                "source": t.name,
                "excerpt": clean_text(f"{t.title or ''} {t.text or ''}", 300),
                "link": item_link(dashboard_url, t.id),
            }
            for t in top
        ],
        "recovery": {
            "claimed": len(to_claim),
            "median_minutes_to_claim": statistics.median(to_claim) if to_claim else None,
            "resolved": len(to_resolve),
            "median_minutes_to_resolve": statistics.median(to_resolve) if to_resolve else None,
            "p90_minutes_to_resolve": to_resolve[int(0.9 * (len(to_resolve) - 1))] if to_resolve else None,
        },
        "outcomes": outcomes,
    }


def enqueue_digests(
    engine: Engine | None = None, settings: Settings | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Raise the digest of the last complete period for every digest channel (once each)."""
    engine, settings, now = engine or get_engine(), settings or get_settings(), now or utcnow()
    made = 0
    with engine.begin() as conn:
        channels = conn.execute(select(CH).where(CH.c.enabled.is_(True))).all()
        for ch in channels:
            period = (ch.config or {}).get("digest")
            if period not in ("daily", "weekly"):
                continue
            start, end, label = last_period(period, ch.timezone, now)
            key = f"digest:{ch.id}:{period}:{start.date().isoformat()}"
            if conn.execute(select(AL.c.id).where(AL.c.dedup_key == key)).first():
                continue
            payload = {
                "period": period,
                "label": label,
                **build_digest(conn, start, end, settings.dashboard_url),
            }
            made += enqueue(conn, dedup_key=key, channel_id=ch.id, kind="digest", payload=payload, now=now)
    return {"digests": made}
