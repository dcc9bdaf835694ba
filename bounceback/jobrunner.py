"""Run one `JobSpec` once: in-process function or module subprocess, timed, logged and recorded.

Every run leaves one log line (job, status, duration, counts) and one `JobRun` row. A module job runs
as ``python -m MODULE ARGS…`` in its own process group; past its ``timeout_seconds`` the whole group
is terminated, then killed, and the run is recorded as ``killed``. If the module prints a JSON object
as its last line of output, that object becomes the run's counts.

Shutdown, for in-process jobs that wait on long work of their own (the crawl job waits on crawl
processes): the stopping process first calls `begin_shutdown` (start nothing new, finish what is under
way), then, once its grace is over, `abandon_now` (drop what is under way and record it as abandoned,
which is not a failure of what it was working on). Jobs poll `shutdown_requested` and
`abandon_requested`, and wrap work they can abandon in `abandonable()` so that the stopping process
can wait for them to let go (`wait_abandoned`) before it sweeps up their processes itself; a
function job that returns after `abandon_now` is recorded as ``abandoned``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, update

from bounceback.db import get_engine
from bounceback.plugins import JobSpec
from bounceback.tables import JobRun
from bounceback.types import utcnow

log = logging.getLogger("bounceback.jobs")
J = JobRun.__table__  # type: ignore[attr-defined]
KILL_GRACE_SECONDS = 3.0
ERROR_TAIL_CHARS = 2000
ABANDONED_ERROR = "stopped by shutdown"
_shutdown = threading.Event()
_abandon = threading.Event()


def begin_shutdown() -> None:
    """This process is stopping: jobs start no new work and finish what they are doing."""
    _shutdown.set()


def abandon_now() -> None:
    """The shutdown grace is over: jobs drop their work under way (implies `begin_shutdown`)."""
    _shutdown.set()
    _abandon.set()


def shutdown_requested() -> bool:
    """True once this process has begun to stop (see `begin_shutdown`)."""
    return _shutdown.is_set()


def abandon_requested() -> bool:
    """True once jobs should drop their work under way (see `abandon_now`)."""
    return _abandon.is_set()


def reset_shutdown() -> None:
    """Forget an earlier shutdown (a new scheduler serving in the same process, as tests do)."""
    _shutdown.clear()
    _abandon.clear()


_in_flight = 0
_in_flight_changed = threading.Condition()


@contextlib.contextmanager
def abandonable() -> Iterator[None]:
    """Mark work under way that its job drops by itself once `abandon_requested` (see `wait_abandoned`)."""
    global _in_flight
    with _in_flight_changed:
        _in_flight += 1
    try:
        yield
    finally:
        with _in_flight_changed:
            _in_flight -= 1
            _in_flight_changed.notify_all()


def wait_abandoned(timeout: float) -> bool:
    """Wait until no `abandonable` work is under way; False if some still is after ``timeout`` s."""
    with _in_flight_changed:
        return _in_flight_changed.wait_for(lambda: _in_flight == 0, timeout)


@dataclass
class RunResult:
    """What one run of a job did."""

    job: str
    status: str  # ok, failed, killed, abandoned
    seconds: float
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def did_work(self) -> bool:
        """True when any count is a positive number (workers back off when nothing was done)."""
        return any(
            isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in self.counts.values()
        )


def _jsonable(counts: Any) -> dict[str, Any]:
    if not isinstance(counts, dict):
        return {} if counts is None else {"result": str(counts)}
    return dict(json.loads(json.dumps(counts, default=str)))


def _last_json_line(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
        if line:
            return None
    return None


def _kill_group(proc: subprocess.Popen[str], grace: float = KILL_GRACE_SECONDS) -> None:
    """SIGTERM the process group, then SIGKILL what is left after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM:
            # children of the job may outlive it in the group: make sure of them too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        return


class JobRunner:
    """Runs jobs for one holder (a scheduler or a worker) and can abandon them on shutdown."""

    def __init__(self, holder: str, *, record: bool = True, env: dict[str, str] | None = None) -> None:
        self.holder = holder
        self.record = record
        self.env = env or {}
        self._children: dict[str, subprocess.Popen[str]] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self, spec: JobSpec, *, record: bool | None = None) -> RunResult:
        """Run ``spec`` once; never raises (failures are in the result, the log and the JobRun row)."""
        record = self.record if record is None else record
        run_id = self._start_row(spec.name) if record else None
        started = time.monotonic()
        if spec.func is not None:
            result = self._run_func(spec, started)
        elif spec.module:
            result = self._run_module(spec, started)
        else:
            result = RunResult(spec.name, "failed", 0.0, error="job has neither func nor module")
        self._log(result)
        if run_id is not None:
            self._finish_row(run_id, result)
        return result

    def abandon_children(self) -> None:
        """Stop every running module job (shutdown): they are recorded as abandoned."""
        self.stopping.set()
        with self._lock:
            children = list(self._children.values())
        for proc in children:
            _kill_group(proc)

    def _run_func(self, spec: JobSpec, started: float) -> RunResult:
        assert spec.func is not None
        try:
            counts = _jsonable(spec.func(**spec.kwargs))
        except Exception as exc:
            log.exception("job %s raised", spec.name)
            error = f"{type(exc).__name__}: {exc}"[:ERROR_TAIL_CHARS]
            return RunResult(spec.name, "failed", time.monotonic() - started, error=error)
        if abandon_requested():  # it returned because it was told to drop its work
            return RunResult(spec.name, "abandoned", time.monotonic() - started, counts, ABANDONED_ERROR)
        return RunResult(spec.name, "ok", time.monotonic() - started, counts)

    def _run_module(self, spec: JobSpec, started: float) -> RunResult:
        assert spec.module is not None
        argv = [sys.executable, "-m", spec.module, *spec.args]
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group, so a kill reaches its children too
            env={**os.environ, **self.env},
        )
        with self._lock:
            self._children[spec.name] = proc
        killed = False
        try:
            stdout, stderr = proc.communicate(timeout=spec.timeout_seconds)
        except subprocess.TimeoutExpired:
            killed = True
            _kill_group(proc)
            stdout, stderr = proc.communicate()
        finally:
            with self._lock:
                self._children.pop(spec.name, None)
        seconds = time.monotonic() - started
        counts = _last_json_line(stdout) or {}
        counts.setdefault("exit_code", proc.returncode)
        counts["pid"] = proc.pid
        if killed:
            error = f"killed after {spec.timeout_seconds:g}s (time limit)"
            return RunResult(spec.name, "killed", seconds, counts, error)
        if self.stopping.is_set() and proc.returncode != 0:
            return RunResult(spec.name, "abandoned", seconds, counts, ABANDONED_ERROR)
        if proc.returncode != 0:
            tail = (stderr or stdout).strip()[-ERROR_TAIL_CHARS:]
            return RunResult(spec.name, "failed", seconds, counts, f"exit {proc.returncode}: {tail}")
        return RunResult(spec.name, "ok", seconds, counts)

    def _log(self, result: RunResult) -> None:
        shown = " ".join(f"{k}={v}" for k, v in result.counts.items() if k != "pid")
        text = f"job {result.job} {result.status} in {result.seconds:.2f}s"
        if shown:
            text += f" {shown}"
        if result.error:
            text += f" error={result.error.strip().splitlines()[-1][:300] if result.error.strip() else ''}"
        log.log(
            logging.INFO if result.status == "ok" else logging.WARNING,
            "%s",
            text,
            extra={
                "job": result.job,
                "status": result.status,
                "duration_s": round(result.seconds, 3),
                "counts": result.counts,
                "holder": self.holder,
            },
        )

    def save(self, result: RunResult) -> None:
        """Record a run made with ``record=False`` after the fact (workers keep only runs that did work)."""
        run_id = self._start_row(result.job)
        if run_id is not None:
            self._finish_row(run_id, result)

    def _start_row(self, job: str) -> int | None:
        try:
            with get_engine().begin() as conn:
                row = conn.execute(
                    insert(J)
                    .values(job=job, started_at=utcnow(), status="running", counts={}, holder=self.holder)
                    .returning(J.c.id)
                ).one()
            return int(row[0])
        except Exception as exc:
            log.warning("cannot record the start of job %s: %s", job, exc)
            return None

    def _finish_row(self, run_id: int, result: RunResult) -> None:
        try:
            with get_engine().begin() as conn:
                conn.execute(
                    update(J)
                    .where(J.c.id == run_id)
                    .values(
                        finished_at=utcnow(), status=result.status, counts=result.counts, error=result.error
                    )
                )
        except Exception as exc:
            log.warning("cannot record the end of job %s: %s", result.job, exc)
