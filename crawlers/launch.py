"""Launch crawls as child processes with a hard time limit, and record what the child could not.

Each crawl is ``python -m crawlers.run SOURCE_ID --timeout T`` in its own process group. The child
stops itself gracefully a little before the limit (Scrapy's CLOSESPIDER_TIMEOUT); if it is still alive
at the limit the whole group is killed and the run is recorded as ``killed``. A child that dies
without writing its summary (a crash, an out-of-memory kill) is recorded as ``failed`` with the tail
of its stderr, and the source's consecutive failures go up either way.

A crawl under way when its scheduler shuts down is not the source's fault: once the scheduler's grace
is over (``bounceback.jobrunner.abandon_requested``) the group is killed and the run is recorded as
``abandoned`` with the reason, leaving the source's health alone (a later crawl walks the same pages
again, and the upsert makes that harmless).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select, update

from bounceback.db import get_engine
from bounceback.jobrunner import abandon_requested, abandonable
from bounceback.tables import CrawlRun
from bounceback.types import CrawlStatus, utcnow
from crawlers.records import record_abnormal_end

log = logging.getLogger("crawlers.launch")
CR = CrawlRun.__table__  # type: ignore[attr-defined]
STDERR_TAIL_CHARS = 1500
GRACEFUL_SHARE = 0.85  # the child stops itself at this share of the limit
POLL_SECONDS = 0.25  # how often a waiting launcher checks whether its scheduler is abandoning work
ABANDONED_REASON = (
    "interrupted: the scheduler shut down during this crawl (not a failure of the source; "
    "its next crawl reads these pages again)"
)


@dataclass
class LaunchResult:
    """How one child crawl ended."""

    source_id: int
    status: str  # ok, failed, killed, abandoned
    returncode: int | None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _summary(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                value = json.loads(line)
                return value if isinstance(value, dict) else None
        if line:
            return None
    return None


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def run_crawl_process(
    source_id: int, timeout: float, *, engine: Engine | None = None, env: dict[str, str] | None = None
) -> LaunchResult:
    """Crawl ``source_id`` in a child process, killing it after ``timeout`` seconds."""
    engine = engine or get_engine()
    graceful = max(1.0, timeout * GRACEFUL_SHARE)
    argv = [sys.executable, "-m", "crawlers.run", str(source_id), "--timeout", f"{graceful:.1f}"]
    with abandonable():
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        ended = _wait(proc, timeout)
        if ended is None:
            _kill_group(proc)
            with contextlib.suppress(ValueError, OSError, subprocess.TimeoutExpired):
                proc.communicate(timeout=10)  # close the pipes
            if abandon_requested():
                status = record_abandoned(engine, source_id, proc.pid, ABANDONED_REASON)
                if status != CrawlStatus.abandoned.value:  # it had finished and was exiting
                    return LaunchResult(source_id, status, None)
                log.warning("crawl of source %s: %s", source_id, ABANDONED_REASON)
                return LaunchResult(source_id, status, None, error=ABANDONED_REASON)
            reason = f"killed after {timeout:.0f}s: the crawl did not finish within its time limit"
            record_abnormal_end(engine, source_id, proc.pid, CrawlStatus.killed, reason)
            log.warning("crawl of source %s: %s", source_id, reason)
            return LaunchResult(source_id, CrawlStatus.killed.value, None, error=reason)
    stdout, stderr = ended
    summary = _summary(stdout)
    if summary is not None and proc.returncode in (0, 1):
        status = str(summary.get("status", "ok" if proc.returncode == 0 else "failed"))
        shown = " ".join(f"{k}={v}" for k, v in summary.items() if k not in ("status", "run_id"))
        log.info("crawl of source %s %s: %s", source_id, status, shown)
        return LaunchResult(source_id, status, proc.returncode, summary)
    tail = (stderr or "").strip()[-STDERR_TAIL_CHARS:]
    reason = f"crawl process exited with code {proc.returncode} without a summary: {tail or 'no output'}"
    if proc.returncode == 2 and "error:" in tail:  # a usage error (unknown source …): nothing ran
        return LaunchResult(source_id, CrawlStatus.failed.value, proc.returncode, error=tail)
    record_abnormal_end(engine, source_id, proc.pid, CrawlStatus.failed, reason)
    log.error("crawl of source %s crashed: %s", source_id, reason)
    return LaunchResult(source_id, CrawlStatus.failed.value, proc.returncode, error=reason)


def _wait(proc: subprocess.Popen[str], timeout: float) -> tuple[str, str] | None:
    """The child's (stdout, stderr) once it exits; None at the time limit or when told to abandon it."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:  # communicate() may be called again after a timeout without losing output
            return proc.communicate(timeout=max(0.0, min(POLL_SECONDS, left)))
        except subprocess.TimeoutExpired:
            if abandon_requested() or time.monotonic() >= deadline:
                return None


def record_abandoned(engine: Engine, source_id: int, pid: int | None, reason: str) -> str:
    """Close the crawl's run (or record one) as ``abandoned``, leaving the source's health alone.

    Returns the run's final status: a crawl that had already closed its run when it was stopped
    (it was exiting) keeps what it recorded.
    """
    now = utcnow()
    entry = {"kind": "interrupted", "reason": reason}
    with engine.begin() as conn:
        row = None
        if pid is not None:
            row = conn.execute(
                select(CR.c.id, CR.c.status, CR.c.errors)
                .where(CR.c.source_id == source_id, CR.c.pid == pid)
                .order_by(CR.c.id.desc())
            ).first()
        if row is not None and row.status != CrawlStatus.running.value:
            return str(row.status)
        if row is None:  # stopped before it opened its run
            run_id = conn.execute(
                insert(CR)
                .values(
                    source_id=source_id, status=CrawlStatus.running.value, started_at=now, pid=pid, errors=[]
                )
                .returning(CR.c.id)
            ).scalar_one()
            errors: list[dict[str, Any]] = []
        else:
            run_id, errors = row.id, list(row.errors or [])
        conn.execute(
            update(CR)
            .where(CR.c.id == run_id)
            .values(status=CrawlStatus.abandoned.value, finished_at=now, errors=[*errors, entry])
        )
    return CrawlStatus.abandoned.value
