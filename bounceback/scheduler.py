"""`bounceback run`: the one long-running job runner, led by one process at a time.

Every process started with `bounceback run` competes for the scheduler lease (:mod:`bounceback.leader`).
The leader runs every job on an APScheduler 3.x ``BackgroundScheduler`` (``coalesce=True``,
``max_instances=1``, a misfire grace of one interval); the others wait as standbys, polling the lease,
and the first to find it expired takes over. Jobs are the kernel's own (expire stale claims, dead-man's
switch, retention purge) plus whatever the installed stages declare through the ``bounceback.jobs``
entry points: in-process functions or modules started as subprocesses with a time limit.

SIGTERM or SIGINT: no new job starts, and in-process jobs start no new work (the crawl job launches
no further crawl); running jobs get ``grace_seconds`` to finish, then in-process jobs are told to
abandon their work (a crawl under way is stopped and recorded as ``abandoned``, which does not count
against its source), module jobs are terminated, and whatever is still running is abandoned (every
job is idempotent and transactional, so the next leader simply runs it again); the lease is released
so a standby leads at once; exit status 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, timedelta
from types import FrameType
from typing import Any

import psutil
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import update

from bounceback import deadman, retention
from bounceback.db import get_engine
from bounceback.jobrunner import JobRunner, abandon_now, begin_shutdown, reset_shutdown, wait_abandoned
from bounceback.leader import LeaderLease
from bounceback.lifecycle import expire_stale_claims
from bounceback.plugins import JobSpec, discover_jobs
from bounceback.settings import Settings
from bounceback.tables import JobRun
from bounceback.types import utcnow
from bounceback.worker import WORKER_PREFIX

log = logging.getLogger("bounceback.scheduler")
J = JobRun.__table__  # type: ignore[attr-defined]
RETENTION_EVERY_SECONDS = 3600
ABANDON_WAIT_SECONDS = 10.0  # for in-process jobs to stop and record their abandoned work


def kernel_jobs(settings: Settings) -> list[JobSpec]:
    """The kernel's own housekeeping jobs."""
    tick = settings.tick_seconds

    def expire_claims() -> dict[str, Any]:
        ttl = timedelta(minutes=settings.claim_ttl_minutes)
        return {"expired": len(expire_stale_claims(ttl))}

    def check_deadman() -> dict[str, Any]:
        return deadman.check_sources(settings.deadman_missed_intervals)

    def purge() -> dict[str, Any]:
        return retention.purge_expired(settings.retention_days)

    return [
        JobSpec("expire-claims", tick, func=expire_claims),
        JobSpec("deadman", tick, func=check_deadman),
        JobSpec("retention", max(tick, RETENTION_EVERY_SECONDS), func=purge),
    ]


def all_jobs(settings: Settings) -> list[JobSpec]:
    """Kernel jobs then the stages' jobs, one per name (a duplicate name is reported and skipped)."""
    jobs: dict[str, JobSpec] = {}
    for spec in [*kernel_jobs(settings), *discover_jobs(settings)]:
        if spec.name in jobs:
            log.error("two jobs are named %r; running only the first", spec.name)
            continue
        jobs[spec.name] = spec
    return list(jobs.values())


class Scheduler:
    """One `bounceback run` process: standby until it holds the lease, then runs every job."""

    def __init__(
        self,
        settings: Settings,
        *,
        jobs: list[JobSpec] | None = None,
        grace_seconds: float = 20.0,
    ) -> None:
        self.settings = settings
        self.grace_seconds = grace_seconds
        self.lease = LeaderLease(settings.lease_seconds)
        self.holder = self.lease.holder
        self.runner = JobRunner(self.holder, env={"BOUNCEBACK_TICK_SECONDS": str(settings.tick_seconds)})
        self.jobs = jobs if jobs is not None else all_jobs(settings)
        self.stop = threading.Event()
        self._running: set[str] = set()
        self._running_lock = threading.Lock()
        self._aps = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max(2, min(len(self.jobs), 10)))},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        # a tick skipped because the last run is still going is the design (max_instances=1, coalesce):
        # not worth a warning every tick; JobRun rows and our log line show every real run
        logging.getLogger("apscheduler").setLevel(logging.ERROR)

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT ask for a clean stop."""

        def _handler(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s: stopping after the current jobs", signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, _handler)
        signal.signal(signal.SIGINT, _handler)

    def serve(self) -> int:
        """Lead or stand by until asked to stop; returns the exit status (0 on a clean stop)."""
        names = ", ".join(f"{j.name}/{j.interval_seconds:g}s" for j in self.jobs)
        log.info("scheduler %s starting with %d jobs: %s", self.holder, len(self.jobs), names)
        reset_shutdown()
        self._aps.start(paused=True)
        for spec in self.jobs:
            self._aps.add_job(
                self._fire,
                "interval",
                args=[spec],
                id=spec.name,
                name=spec.name,
                seconds=spec.interval_seconds,
                misfire_grace_time=max(1, int(spec.interval_seconds)),
            )
        leading = False
        announced_standby = False
        while not self.stop.is_set():
            won = self.lease.try_acquire()
            if won and not leading:
                leading, announced_standby = True, False
                self._on_lead()
            elif not won and leading:
                leading = False
                self._aps.pause()
                log.warning("scheduler %s lost the lease: stopped running jobs", self.holder)
            if not won and not announced_standby:
                announced_standby = True
                self._announce_standby()
            self.stop.wait(self.lease.renew_every if leading else self.lease.poll_every)
        return self._shutdown()

    def _announce_standby(self) -> None:
        try:
            current = self.lease.current_holder()
        except Exception as exc:
            current = None
            log.warning("cannot read the lease: %s", exc)
        who = f"{current[0]} until {current[1].isoformat(timespec='seconds')}" if current else "nobody"
        log.info(
            "standby: the scheduler lease is held by %s; not running jobs, checking every %.1fs",
            who,
            self.lease.poll_every,
            extra={"role": "standby", "leader": current[0] if current else None},
        )

    def _on_lead(self) -> None:
        log.info(
            "leading: scheduler %s holds the lease (%ss); running jobs",
            self.holder,
            self.settings.lease_seconds,
            extra={"role": "leader"},
        )
        self._abandon_dead_runs()
        now = utcnow()
        for job in self._aps.get_jobs():
            job.modify(next_run_time=now)
        self._aps.resume()

    def _abandon_dead_runs(self) -> None:
        """Runs left 'running' by a previous leader that died are recorded as abandoned."""
        try:
            with get_engine().begin() as conn:
                done = conn.execute(
                    update(J)
                    .where(
                        J.c.status == "running",
                        J.c.holder != self.holder,
                        ~J.c.holder.startswith(WORKER_PREFIX),
                    )
                    .values(status="abandoned", finished_at=utcnow(), error="its scheduler stopped leading")
                ).rowcount
            if done:
                log.info("marked %d runs of the previous leader as abandoned", done)
        except Exception as exc:
            log.warning("cannot tidy the previous leader's runs: %s", exc)

    def _fire(self, spec: JobSpec) -> None:
        if self.stop.is_set() or not self.lease.held():
            log.debug("skipping %s: not leading", spec.name)
            return
        with self._running_lock:
            self._running.add(spec.name)
        try:
            self.runner.run(spec)
        finally:
            with self._running_lock:
                self._running.discard(spec.name)

    def _shutdown(self) -> int:
        begin_shutdown()  # in-process jobs start no new work (no further crawl is launched)
        self._aps.pause()
        closer = threading.Thread(target=self._aps.shutdown, kwargs={"wait": True}, daemon=True)
        closer.start()
        closer.join(self.grace_seconds)
        if closer.is_alive():
            log.warning("jobs still running after %.0fs: stopping them", self.grace_seconds)
            abandon_now()  # in-process jobs drop their work and record it as abandoned (not a failure)
            self.runner.abandon_children()  # module jobs, by process group
            if not wait_abandoned(ABANDON_WAIT_SECONDS):
                log.warning("in-process jobs did not let go of their work within %.0fs", ABANDON_WAIT_SECONDS)
            _stop_descendants()  # and processes that in-process jobs started (their own sessions)
            closer.join(3.0)
        # A job may have started another process while the first ones were being stopped (a crawl job
        # moving on to its next source): nothing this scheduler started may outlive it.
        _stop_descendants()
        self.lease.release()
        if closer.is_alive():
            with self._running_lock:
                stuck = sorted(self._running)
            self._mark_abandoned()
            log.warning("abandoning %s; the next run starts them again", ", ".join(stuck))
            _exit_now(0)
        log.info("scheduler %s stopped", self.holder)
        return 0

    def _mark_abandoned(self) -> None:
        try:
            with get_engine().begin() as conn:
                conn.execute(
                    update(J)
                    .where(J.c.status == "running", J.c.holder == self.holder)
                    .values(status="abandoned", finished_at=utcnow(), error="stopped by shutdown")
                )
        except Exception as exc:
            log.warning("cannot record the abandoned runs: %s", exc)


def _stop_descendants(grace: float = 2.0) -> None:
    """Terminate, then kill, every process this one started (jobs may start their own sessions)."""
    children = psutil.Process().children(recursive=True)
    for proc in children:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _gone, alive = psutil.wait_procs(children, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()


def _exit_now(code: int, _exit: Callable[[int], Any] = os._exit) -> None:
    """Leave without waiting for stuck job threads (after flushing what we wrote)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    _exit(code)
