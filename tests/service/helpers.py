"""Starting `bounceback` processes for the service tests and waiting on conditions."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bounceback.db import get_engine
from bounceback.tables import JobRun

REPO = Path(__file__).resolve().parents[2]


def service_env(**extra: str) -> dict[str, str]:
    """The test's environment (bb_env already points it at the fresh database) plus the fixture jobs."""
    env = {**os.environ, "BOUNCEBACK_EXTRA_JOBS": "tests.service.jobs_fixture:jobs", "PYTHONPATH": str(REPO)}
    env.update(extra)
    return env


def start_bb(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`bounceback ARGS…` in its own process group, output to ``log``."""
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bounceback.cli", *args],
        cwd=REPO,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    """Signal the process and wait for its exit status."""
    if proc.poll() is None:
        proc.send_signal(sig)
    return proc.wait(timeout=timeout)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Leave nothing behind, whatever the test did."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def job_runs(job: str) -> list[JobRun]:
    """Every recorded run of ``job``, oldest first."""
    with get_engine().connect() as conn:
        rows = conn.execute(select(JobRun.__table__).where(JobRun.__table__.c.job == job).order_by("id"))
        return list(rows.all())
