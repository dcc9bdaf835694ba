"""Source health and the "data may be incomplete" warnings shown on every page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from bounceback.tables import Alert, CrawlRun, Source
from bounceback.types import AlertStatus, utcnow
from dashboard.queries.common import reader

S = Source.__table__  # type: ignore[attr-defined]
R = CrawlRun.__table__  # type: ignore[attr-defined]
AL = Alert.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SourceHealth:
    """One source's health as the Sources page shows it."""

    id: int
    name: str
    kind: str
    enabled: bool
    interval_seconds: int
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    incomplete_since: datetime | None
    lag: timedelta | None

    @property
    def state(self) -> str:
        """disabled, incomplete, failing, never crawled, late or ok."""
        if not self.enabled:
            return "disabled"
        if self.incomplete_since is not None:
            return "incomplete"
        if self.consecutive_failures:
            return "failing"
        if self.last_success_at is None:
            return "never crawled"
        if self.lag is not None and self.lag > timedelta(seconds=3 * self.interval_seconds):
            return "late"
        return "ok"


@dataclass(frozen=True)
class DataWarnings:
    """What to warn about on every page."""

    incomplete: list[str]
    failing: list[str]
    dead_alerts: int

    @property
    def any(self) -> bool:
        """True when there is something to warn about."""
        return bool(self.incomplete or self.failing or self.dead_alerts)


def source_health(*, now: datetime | None = None, engine: Engine | None = None) -> list[SourceHealth]:
    """Every source with its health, failing ones first."""
    now = now or utcnow()
    with reader(engine).connect() as conn:
        rows = conn.execute(select(S).order_by(S.c.name)).all()
    out = [
        SourceHealth(
            id=r.id,
            name=r.name,
            kind=r.kind,
            enabled=bool(r.enabled),
            interval_seconds=r.interval_seconds,
            last_success_at=r.last_success_at,
            last_error_at=r.last_error_at,
            last_error=r.last_error,
            consecutive_failures=r.consecutive_failures or 0,
            incomplete_since=r.incomplete_since,
            lag=(now - r.last_success_at) if r.last_success_at else None,
        )
        for r in rows
    ]
    order = {"incomplete": 0, "failing": 1, "late": 2, "never crawled": 3, "ok": 4, "disabled": 5}
    return sorted(out, key=lambda h: (order[h.state], h.name))


RUN_COLUMNS = [
    "started",
    "source",
    "status",
    "finished",
    "pages",
    "new",
    "updated",
    "parked",
    "duplicate",
    "errors",
]


def recent_runs(
    source_id: int | None = None, *, limit: int = 30, engine: Engine | None = None
) -> pd.DataFrame:
    """The latest crawl runs (of one source, or all): started, source, status, pages, counts, errors.

    ``duplicate`` counts the new rows that were copies of posts another source stored first.
    """
    query = (
        select(
            R.c.started_at,
            S.c.name,
            R.c.status,
            R.c.finished_at,
            R.c.pages,
            R.c.items_new,
            R.c.items_updated,
            R.c.items_parked,
            R.c.items_duplicate,
            R.c.errors,
        )
        .select_from(R.join(S, S.c.id == R.c.source_id))
        .order_by(R.c.started_at.desc())
        .limit(limit)
    )
    if source_id is not None:
        query = query.where(R.c.source_id == source_id)
    with reader(engine).connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(
        rows,
        columns=RUN_COLUMNS,
    )
    frame["seconds"] = (
        (pd.to_datetime(frame["finished"], utc=True) - pd.to_datetime(frame["started"], utc=True))
        .dt.total_seconds()
        .round(1)
    )
    frame["errors"] = [len(e or []) for e in frame["errors"]]
    return frame.drop(columns=["finished"])


def data_warnings(*, engine: Engine | None = None) -> DataWarnings:
    """Enabled sources whose data is incomplete or failing, and alerts that could not be delivered."""
    with reader(engine).connect() as conn:
        rows = conn.execute(
            select(S.c.name, S.c.incomplete_since, S.c.consecutive_failures).where(S.c.enabled.is_(True))
        ).all()
        dead = conn.execute(select(func.count()).where(AL.c.status == AlertStatus.dead.value)).scalar_one()
    incomplete = sorted(r.name for r in rows if r.incomplete_since is not None)
    failing = sorted(r.name for r in rows if r.incomplete_since is None and (r.consecutive_failures or 0) > 0)
    return DataWarnings(incomplete=incomplete, failing=failing, dead_alerts=int(dead))
