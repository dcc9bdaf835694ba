"""`bounceback worker JOB`: an extra process that loops one stage job, without leadership.

Scale-out for the busy stages (the sentiment stage's ``score``, the alerts stage's ``deliver``): the
job functions take their batches with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of
workers and the scheduler share the rows and never process one twice. A worker runs the job again at
once while it finds work and waits ``idle_seconds`` when a run found nothing.
"""

from __future__ import annotations

import logging
import threading

from bounceback.errors import NotFound
from bounceback.jobrunner import JobRunner
from bounceback.leader import make_holder_id
from bounceback.plugins import JobSpec, discover_jobs
from bounceback.settings import Settings

log = logging.getLogger("bounceback.worker")
WORKER_PREFIX = "worker:"


def find_job(name: str, settings: Settings) -> JobSpec:
    """The job ``name`` or ``<stage>.<name>``, found through the ``bounceback.jobs`` entry points."""
    specs = {spec.name: spec for spec in discover_jobs(settings)}
    if name in specs:
        return specs[name]
    suffixed = [spec for key, spec in specs.items() if key.endswith("." + name)]
    if len(suffixed) == 1:
        return suffixed[0]
    known = ", ".join(sorted(specs)) or "none (is a stage installed?)"
    raise NotFound(f"no job named {name!r}; installed jobs: {known}")


def run_worker(
    spec: JobSpec,
    *,
    idle_seconds: float,
    stop: threading.Event,
    max_runs: int | None = None,
) -> int:
    """Loop ``spec`` until ``stop`` is set (or ``max_runs`` runs); returns how many runs did work."""
    runner = JobRunner(WORKER_PREFIX + make_holder_id(), record=False)
    log.info("worker %s looping job %s (idle wait %.1fs)", runner.holder, spec.name, idle_seconds)
    runs = busy = 0
    while not stop.is_set() and (max_runs is None or runs < max_runs):
        result = runner.run(spec)
        runs += 1
        if result.did_work or result.status != "ok":
            runner.save(result)
        if result.did_work:
            busy += 1
        elif max_runs is None or runs < max_runs:
            stop.wait(idle_seconds)
    log.info("worker %s stopped after %d runs (%d did work)", runner.holder, runs, busy)
    return busy
