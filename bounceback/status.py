"""Health of the whole service in one report: sources, jobs, queues, outbox, leadership.

:func:`collect` reads everything `bounceback status` prints and lists the problems that make the
service unhealthy (the command then exits non-zero, so it can back a container health check):

- an enabled source marked incomplete (dead-man's switch) or failing ``SOURCE_FAILURES_UNHEALTHY``
  times in a row;
- a job whose last run failed or was killed;
- no scheduler holding the lease (nothing is running the jobs);
- an outbox backlog whose oldest due alert waits more than ``OUTBOX_STALE_SECONDS``;
- alerts that died in the last ``DEAD_ALERT_WINDOW``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from bounceback.db import get_engine
from bounceback.leader import SCHEDULER_LEASE
from bounceback.tables import Alert, JobRun, Lease, Mention, Source
from bounceback.types import UTCDateTime, utcnow

S = Source.__table__  # type: ignore[attr-defined]
J = JobRun.__table__  # type: ignore[attr-defined]
AL = Alert.__table__  # type: ignore[attr-defined]
M = Mention.__table__  # type: ignore[attr-defined]
LE = Lease.__table__  # type: ignore[attr-defined]
SOURCE_FAILURES_UNHEALTHY = 3
OUTBOX_STALE_SECONDS = 15 * 60
DEAD_ALERT_WINDOW = timedelta(hours=24)


@dataclass
class SourceHealth:
    """One source's crawl health."""

    id: int
    name: str
    kind: str
    enabled: bool
    last_success_at: datetime | None
    lag_seconds: float | None
    consecutive_failures: int
    last_error: str | None
    incomplete_since: datetime | None


@dataclass
class JobHealth:
    """The last run of one job."""

    job: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    counts: dict[str, Any]
    error: str | None
    holder: str | None


@dataclass
class Status:
    """Everything `bounceback status` reports."""

    checked_at: datetime
    leader: str | None
    lease_expires_at: datetime | None
    sources: list[SourceHealth] = field(default_factory=list)
    jobs: list[JobHealth] = field(default_factory=list)
    pending_scores: int = 0
    outbox_pending: int = 0
    outbox_oldest_due_seconds: float | None = None
    dead_alerts: int = 0
    dead_alerts_recent: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """True when nothing in ``problems``."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO strings)."""
        data = asdict(self)
        data["healthy"] = self.healthy
        return _iso(data)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def _as_utc(value: Any) -> datetime | None:
    """Aggregates (MIN/MAX) bypass the column type on SQLite: parse them back to aware UTC."""
    if value is None:
        return None
    return UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]


def collect(*, engine: Engine | None = None, now: datetime | None = None) -> Status:
    """Read the service's health from the database."""
    engine = engine or get_engine()
    now = now or utcnow()
    with engine.connect() as conn:
        lease = conn.execute(LE.select().where(LE.c.name == SCHEDULER_LEASE)).first()
        live = lease is not None and lease.expires_at >= now
        status = Status(
            checked_at=now,
            leader=lease.holder if live and lease else None,
            lease_expires_at=lease.expires_at if live and lease else None,
        )
        for row in conn.execute(S.select().order_by(S.c.id)).all():
            lag = (now - row.last_success_at).total_seconds() if row.last_success_at else None
            status.sources.append(
                SourceHealth(
                    row.id,
                    row.name,
                    row.kind,
                    row.enabled,
                    row.last_success_at,
                    lag,
                    row.consecutive_failures,
                    row.last_error,
                    row.incomplete_since,
                )
            )
        latest = select(J.c.job, func.max(J.c.id).label("id")).group_by(J.c.job).subquery()
        for row in conn.execute(J.select().join(latest, J.c.id == latest.c.id).order_by(J.c.job)).all():
            seconds = (row.finished_at - row.started_at).total_seconds() if row.finished_at else None
            status.jobs.append(
                JobHealth(
                    row.job,
                    row.status,
                    row.started_at,
                    row.finished_at,
                    seconds,
                    row.counts,
                    row.error,
                    row.holder,
                )
            )
        status.pending_scores = conn.execute(select(func.count()).where(M.c.status == "new")).scalar_one()
        status.outbox_pending, oldest = conn.execute(
            select(func.count(), func.min(AL.c.next_attempt_at)).where(
                AL.c.status.in_(["pending", "sending"])
            )
        ).one()
        oldest_due = _as_utc(oldest)
        if oldest_due is not None:
            status.outbox_oldest_due_seconds = max(0.0, (now - oldest_due).total_seconds())
        status.dead_alerts = conn.execute(select(func.count()).where(AL.c.status == "dead")).scalar_one()
        status.dead_alerts_recent = conn.execute(
            select(func.count()).where(AL.c.status == "dead", AL.c.created_at >= now - DEAD_ALERT_WINDOW)
        ).scalar_one()
    status.problems = _problems(status)
    return status


def _problems(status: Status) -> list[str]:
    problems = []
    if status.leader is None:
        problems.append("no scheduler holds the lease: nothing is running the jobs (start `bounceback run`)")
    for src in status.sources:
        if not src.enabled:
            continue
        if src.incomplete_since is not None:
            since = src.incomplete_since.isoformat(timespec="seconds")
            problems.append(f"source {src.name}: no successful crawl since {since}; its data is incomplete")
        elif src.consecutive_failures >= SOURCE_FAILURES_UNHEALTHY:
            problems.append(
                f"source {src.name}: {src.consecutive_failures} failed crawls in a row "
                f"({src.last_error or '?'})"
            )
    for job in status.jobs:
        if job.status in ("failed", "killed"):
            problems.append(f"job {job.job}: last run {job.status} ({(job.error or '').strip()[:200]})")
    if (
        status.outbox_oldest_due_seconds is not None
        and status.outbox_oldest_due_seconds > OUTBOX_STALE_SECONDS
    ):
        minutes = status.outbox_oldest_due_seconds / 60
        problems.append(
            f"outbox: {status.outbox_pending} alerts waiting, the oldest due {minutes:.0f} min ago"
        )
    if status.dead_alerts_recent:
        problems.append(f"outbox: {status.dead_alerts_recent} alerts dead in the last 24 h")
    return problems
