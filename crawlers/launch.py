"""Launch crawls as child processes with a hard time limit, and record what the child could not.

Each crawl is ``python -m crawlers.run SOURCE_ID --timeout T`` in its own process group. The child
stops itself gracefully a little before the limit (Scrapy's CLOSESPIDER_TIMEOUT); if it is still alive
at the limit the whole group is killed and the run is recorded as ``killed``. A child that dies
without writing its summary (a crash, an out-of-memory kill) is recorded as ``failed`` with the tail
of its stderr, and the source's consecutive failures go up either way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from bounceback.db import get_engine
from bounceback.types import CrawlStatus
from crawlers.records import record_abnormal_end

log = logging.getLogger("crawlers.launch")
STDERR_TAIL_CHARS = 1500
GRACEFUL_SHARE = 0.85  # the child stops itself at this share of the limit


@dataclass
class LaunchResult:
    """How one child crawl ended."""

    source_id: int
    status: str  # ok, failed, killed
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
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        reason = f"killed after {timeout:.0f}s: the crawl did not finish within its time limit"
        record_abnormal_end(engine, source_id, proc.pid, CrawlStatus.killed, reason)
        log.warning("crawl of source %s: %s", source_id, reason)
        return LaunchResult(source_id, CrawlStatus.killed.value, None, error=reason)
    summary = _summary(stdout)
    if summary is not None and proc.returncode in (0, 1):
        status = str(summary.get("status", "ok" if proc.returncode == 0 else "failed"))
        return LaunchResult(source_id, status, proc.returncode, summary)
    tail = (stderr or "").strip()[-STDERR_TAIL_CHARS:]
    reason = f"crawl process exited with code {proc.returncode} without a summary: {tail or 'no output'}"
    if proc.returncode == 2 and "error:" in tail:  # a usage error (unknown source …): nothing ran
        return LaunchResult(source_id, CrawlStatus.failed.value, proc.returncode, error=tail)
    record_abnormal_end(engine, source_id, proc.pid, CrawlStatus.failed, reason)
    log.error("crawl of source %s crashed: %s", source_id, reason)
    return LaunchResult(source_id, CrawlStatus.failed.value, proc.returncode, error=reason)
