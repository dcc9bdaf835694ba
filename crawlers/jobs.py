"""The scheduler's ``crawl`` job: crawl every enabled source that is due, a few at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from bounceback.db import get_engine
from bounceback.plugins import JobSpec
from bounceback.settings import Settings, get_settings
from bounceback.tables import CrawlRun, Source
from bounceback.types import CrawlStatus, utcnow
from crawlers.launch import LaunchResult, run_crawl_process
from crawlers.records import record_abnormal_end

SRC = Source.__table__  # type: ignore[attr-defined]
CR = CrawlRun.__table__  # type: ignore[attr-defined]


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
    abandoned = close_abandoned_runs(engine, timeout)
    due = due_sources(engine, timeout)
    with engine.begin() as conn:  # claim them now so an overlapping tick does not start them twice
        if due:
            conn.execute(update(SRC).where(SRC.c.id.in_(due)).values(last_crawl_at=utcnow()))
    counts: dict[str, Any] = {
        "due": len(due),
        "ok": 0,
        "failed": 0,
        "killed": 0,
        "new": 0,
        "abandoned": abandoned,
    }
    if not due:
        return counts
    with ThreadPoolExecutor(max_workers=settings.crawl_parallel, thread_name_prefix="crawl") as pool:
        results: list[LaunchResult] = list(
            pool.map(lambda sid: run_crawl_process(sid, timeout, engine=engine), due)
        )
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
        counts["new"] += int(result.summary.get("new", 0))
    return counts


def jobs(settings: Settings) -> list[JobSpec]:
    """The crawlers stage's scheduled jobs: ``crawl`` every tick (each source on its own interval)."""
    return [JobSpec("crawl", float(settings.tick_seconds), func=crawl_due)]
