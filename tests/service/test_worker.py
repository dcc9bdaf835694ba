"""`bounceback worker JOB`: loops a stage job found through the entry points, without leadership."""

import subprocess
import sys

from tests.service.helpers import REPO, job_runs, service_env


def bb(*args):
    return subprocess.run(
        [sys.executable, "-m", "bounceback.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=service_env(),
    )


def test_worker_loops_the_named_job_and_records_runs_that_did_work(bb_env):
    result = bb("worker", "fixture-tick", "--max-runs", "3", "--idle", "0.1")
    assert result.returncode == 0, result.stderr
    runs = job_runs("fixture-tick")
    assert len(runs) == 3 and all(r.holder.startswith("worker:") for r in runs)
    assert all(r.status == "ok" and r.counts == {"ticked": 1} for r in runs)


def test_unknown_job_names_the_installed_ones(bb_env):
    result = bb("worker", "nope")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]  # a stage not installed yet is logged above it
    assert (
        last.startswith("bounceback: error: no job named 'nope'; installed jobs:") and "fixture-tick" in last
    )
    assert "Traceback" not in result.stderr
