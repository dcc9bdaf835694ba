"""The scheduler's ``crawl`` job: crawl every enabled source that is due, a few at a time.

Its counts (the job's log line and JobRun row) add up what the crawls did: pages, items new (parked
ones among them), updated, unchanged, skipped by the spider and filtered out by the watches, so an
item that was fetched but not stored is always counted somewhere. When the scheduler is shutting
down no further crawl is launched, and a source whose crawl was not started or was abandoned gets
its previous ``last_crawl_at`` back, so it is due again at the next start, not an interval later.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from bounceback.db import get_engine
from bounceback.jobrunner import shutdown_requested
from bounceback.plugins import JobSpec
from bounceback.settings import Settings, get_settings
from bounceback.tables import CrawlRun, Source
from bounceback.types import CrawlStatus, utcnow
from crawlers.launch import LaunchResult, run_crawl_process
from crawlers.records import record_abnormal_end

SRC = Source.__table__  # type: ignore[attr-defined]
CR = CrawlRun.__table__  # type: ignore[attr-defined]
SUMMED = (
    "pages",
    "new",
    "updated",
    "unchanged",
    "parked",
    "duplicate",
    "filtered",
    "skipped",
    "parse_failures",
)


def due_sources(engine: Engine, crawl_timeout: float) -> list[int]:
    """Enabled sources whose interval has passed since their last crawl and that are not running."""
    now = utcnow()
    with engine.connect() as conn:
        sources = conn.execute(
            select(SRC.c.id, SRC.c.interval_seconds, SRC.c.last_crawl_at)
            .where(SRC.c.enabled.is_(True))
            .order_by(SRC.c.last_crawl_at.is_not(None), SRC.c.last_crawl_at, SRC.c.id)
        ).all()
        running = set(
            conn.execute(
                select(CR.c.source_id).where(
                    CR.c.status == CrawlStatus.running.value,
                    CR.c.started_at > now - timedelta(seconds=crawl_timeout * 2),
                )
            ).scalars()
        )
    return [
        s.id
        for s in sources
        if s.id not in running
        and (s.last_crawl_at is None or s.last_crawl_at + timedelta(seconds=s.interval_seconds) <= now)
    ]


def close_abandoned_runs(engine: Engine, crawl_timeout: float) -> int:
    """Runs left ``running`` far past the time limit (their process vanished) become ``failed``."""
    cutoff = utcnow() - timedelta(seconds=crawl_timeout * 2)
    with engine.connect() as conn:
        stale = conn.execute(
            select(CR.c.source_id, CR.c.pid).where(
                CR.c.status == CrawlStatus.running.value, CR.c.started_at <= cutoff
            )
        ).all()
    for row in stale:
        record_abnormal_end(
            engine, row.source_id, row.pid, CrawlStatus.failed, "abandoned: the crawl process vanished"
        )
    return len(stale)


def crawl_due(settings: Settings | None = None, *, engine: Engine | None = None) -> dict[str, Any]:
    """Crawl every due source in child processes, at most ``crawl_parallel`` at once; returns counts."""
    settings = settings or get_settings()
    engine = engine or get_engine()
    timeout = float(settings.crawl_timeout_seconds)
    stale = close_abandoned_runs(engine, timeout)
    due = due_sources(engine, timeout)
    with engine.begin() as conn:  # claim them now so an overlapping tick does not start them twice
        rows = conn.execute(select(SRC.c.id, SRC.c.last_crawl_at).where(SRC.c.id.in_(due))).all()
        previous: dict[int, Any] = {row.id: row.last_crawl_at for row in rows}
        if due:
            conn.execute(update(SRC).where(SRC.c.id.in_(due)).values(last_crawl_at=utcnow()))
    if not due:
        return {"due": 0, "stale_closed": stale}
    counts: dict[str, Any] = {"due": len(due), "ok": 0, "failed": 0, "killed": 0, "abandoned": 0}
    counts |= dict.fromkeys(SUMMED, 0) | {"not_started": 0, "stale_closed": stale}

    def launch(source_id: int) -> LaunchResult | None:
        if shutdown_requested():  # the scheduler is stopping: start nothing new
            return None
        return run_crawl_process(source_id, timeout, engine=engine)

    with ThreadPoolExecutor(max_workers=settings.crawl_parallel, thread_name_prefix="crawl") as pool:
        results = dict(zip(due, pool.map(launch, due), strict=True))
    postponed = []
    for source_id, result in results.items():
        if result is None or result.status == CrawlStatus.abandoned.value:
            postponed.append(source_id)
        if result is None:
            counts["not_started"] += 1
            continue
        counts[result.status] = counts.get(result.status, 0) + 1
        for key in SUMMED:
            value = result.summary.get(key, 0)
            counts[key] += int(value) if isinstance(value, int) else 0
    with engine.begin() as conn:  # due again at the next start, not an interval later
        for source_id in postponed:
            conn.execute(
                update(SRC).where(SRC.c.id == source_id).values(last_crawl_at=previous.get(source_id))
            )
    return counts


def jobs(settings: Settings) -> list[JobSpec]:
    """The crawlers stage's scheduled jobs: ``crawl`` every tick (each source on its own interval)."""
    return [JobSpec("crawl", float(settings.tick_seconds), func=crawl_due)]
