"""Test jobs for the scheduler, plugged in through BOUNCEBACK_EXTRA_JOBS (no stage is touched).

BB_FIXTURE_JOBS chooses which: "tick" (in-process, returns a count), "slow" (in-process, sleeps
BB_FIXTURE_SLOW seconds), "hang" (a module subprocess that never ends, with a 2 s limit).
"""

import os
import time

from bounceback.plugins import JobSpec


def _tick():
    return {"ticked": 1}


def _slow():
    time.sleep(float(os.environ.get("BB_FIXTURE_SLOW", "2")))
    return {"slept": 1}


def jobs(settings):
    chosen = set(os.environ.get("BB_FIXTURE_JOBS", "tick").split(","))
    specs = []
    if "tick" in chosen:
        specs.append(JobSpec("fixture-tick", settings.tick_seconds, func=_tick))
    if "slow" in chosen:
        specs.append(JobSpec("fixture-slow", settings.tick_seconds, func=_slow))
    if "hang" in chosen:
        specs.append(JobSpec("fixture-hang", 3600, module="tests.service.hang_job", timeout_seconds=2))
    return specs
