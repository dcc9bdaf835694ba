"""Test jobs for the scheduler, plugged in through BOUNCEBACK_EXTRA_JOBS (no stage is touched).

BB_FIXTURE_JOBS chooses which: "tick" (in-process, returns a count), "slow" (in-process, sleeps
BB_FIXTURE_SLOW seconds), "hang" (a module subprocess that never ends, with a 120 s limit, so that a
SIGTERM test never races the limit), "spawn" (in-process, waits on a process it started in its own
session, as the crawl job does; its pid goes to BB_SPAWN_PID).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from bounceback.plugins import JobSpec


def _tick():
    return {"ticked": 1}


def _slow():
    time.sleep(float(os.environ.get("BB_FIXTURE_SLOW", "2")))
    return {"slept": 1}


def _spawn():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"], start_new_session=True)
    Path(os.environ["BB_SPAWN_PID"]).write_text(str(proc.pid))
    proc.wait()
    return {"spawned": 1}


def jobs(settings):
    chosen = set(os.environ.get("BB_FIXTURE_JOBS", "tick").split(","))
    specs = []
    if "tick" in chosen:
        specs.append(JobSpec("fixture-tick", settings.tick_seconds, func=_tick))
    if "slow" in chosen:
        specs.append(JobSpec("fixture-slow", settings.tick_seconds, func=_slow))
    if "spawn" in chosen:
        specs.append(JobSpec("fixture-spawn", 3600, func=_spawn))
    if "hang" in chosen:
        specs.append(JobSpec("fixture-hang", 3600, module="tests.service.hang_job", timeout_seconds=120))
    return specs
