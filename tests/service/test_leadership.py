"""Three `bounceback run` processes against one database: one leads, the others stand by."""

import itertools
import signal
import time

import pytest
from sqlalchemy import select

from bounceback.db import get_engine
from bounceback.tables import Lease
from tests.service.helpers import job_runs, kill_group, service_env, start_bb, stop, wait_for

pytestmark = pytest.mark.slow
LEASE = 4


def assert_once_per_tick(runs, tick=1.0):
    """At most one run per tick (a late tick may fire close to the next one, so count, don't time)."""
    span = (runs[-1].started_at - runs[0].started_at).total_seconds()
    assert len(runs) <= span / tick + 2, f"{len(runs)} runs in {span:.1f}s of {tick}s ticks"
    for a, b in itertools.pairwise(runs):
        assert a.finished_at is not None and a.finished_at <= b.started_at, "two runs at once"


def _pid(holder: str) -> int:
    return int(holder.rsplit(":", 2)[1])


def test_three_schedulers_run_each_job_once_per_tick_and_a_standby_takes_over(bb_env, tmp_path):
    env = service_env(BOUNCEBACK_LEASE_SECONDS=str(LEASE))
    procs = [start_bb("run", "--tick", "1", env=env, log=tmp_path / f"run{i}.log") for i in range(3)]
    try:
        wait_for(lambda: len(job_runs("fixture-tick")) >= 6, 40, "six ticks of the test job")
        runs = job_runs("fixture-tick")
        assert len({r.holder for r in runs}) == 1, "only the leader runs jobs"
        assert_once_per_tick(runs)
        old = runs[0].holder
        leader = next(p for p in procs if p.pid == _pid(old))
        standbys = [p for p in procs if p is not leader]
        wait_for(
            lambda: all("standby" in (tmp_path / f"run{procs.index(p)}.log").read_text() for p in standbys),
            10,
            "both standbys to say they wait",
        )

        leader.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: any(r.holder != old for r in job_runs("fixture-tick")), 3 * LEASE, "a new leader")
        took = time.monotonic() - killed_at
        assert took < LEASE, f"takeover took {took:.1f}s, more than one lease period ({LEASE}s)"

        time.sleep(2.5)  # let the new leader run a few ticks: still one runner per tick
        after = [r for r in job_runs("fixture-tick") if r.holder != old]
        assert len({r.holder for r in after}) == 1
        assert_once_per_tick(after)
        with get_engine().connect() as conn:
            holder = conn.execute(select(Lease.__table__.c.holder)).scalar_one()
        assert holder == after[0].holder

        for proc in standbys:
            assert stop(proc) == 0, "SIGTERM is a clean exit for leader and standby alike"
        with get_engine().connect() as conn:
            assert conn.execute(select(Lease.__table__)).first() is None, "the lease is released on exit"
    finally:
        for proc in procs:
            kill_group(proc)


def test_sigterm_lets_the_running_job_finish_then_exits_zero(bb_env, tmp_path):
    env = service_env(BB_FIXTURE_JOBS="slow", BB_FIXTURE_SLOW="2")
    proc = start_bb("run", "--tick", "1", env=env, log=tmp_path / "run.log")
    try:
        wait_for(lambda: job_runs("fixture-slow"), 30, "the slow job to start")
        assert stop(proc) == 0
        runs = job_runs("fixture-slow")
        assert runs[-1].status == "ok" and runs[-1].finished_at is not None
        assert "stopped" in (tmp_path / "run.log").read_text()
    finally:
        kill_group(proc)
