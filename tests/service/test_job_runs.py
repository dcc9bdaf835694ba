"""Running one job: the time limit, crashes, the log line and the JobRun row."""

import json
import logging
import os
import time

import psutil
import pytest

from bounceback.jobrunner import JobRunner
from bounceback.logs import JsonFormatter
from bounceback.plugins import JobSpec
from tests.service.helpers import REPO, job_runs, kill_group, service_env, start_bb, stop, wait_for


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_hanging_module_job_is_killed_at_its_limit_with_its_children_and_recorded(
    bb_env, tmp_path, monkeypatch
):
    pids = tmp_path / "pids"
    monkeypatch.setenv("BB_HANG_PIDS", str(pids))
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    spec = JobSpec("hang", 60, module="tests.service.hang_job", timeout_seconds=2)
    started = time.monotonic()
    result = JobRunner("test").run(spec)
    assert 2 <= time.monotonic() - started < 10
    assert result.status == "killed"
    assert result.error == "killed after 2s (time limit)"
    job_pid, child_pid = (int(p) for p in pids.read_text().split())
    assert _gone(job_pid) and wait_for(lambda: _gone(child_pid), 5, "the job's child to die")
    (run,) = job_runs("hang")
    assert run.status == "killed" and run.error == result.error and run.finished_at is not None


def test_crashing_module_job_is_recorded_as_failed_with_its_error(bb_env):
    spec = JobSpec("crash", 60, module="json.tool", args=("/nonexistent/file.json",), timeout_seconds=30)
    result = JobRunner("test").run(spec)
    assert result.status == "failed" and "exit 2" in (result.error or "")
    assert "No such file" in (result.error or "")
    assert job_runs("crash")[0].status == "failed"


def test_module_job_counts_come_from_its_last_json_line(bb_env, tmp_path):
    script = tmp_path / "counts_job.py"
    script.write_text('print("working")\nprint(\'{"crawled": 7, "errors": 0}\')\n')
    spec = JobSpec("counts", 60, module="counts_job", timeout_seconds=30)
    os.environ["PYTHONPATH"] = str(tmp_path)
    try:
        result = JobRunner("test").run(spec)
    finally:
        del os.environ["PYTHONPATH"]
    assert result.status == "ok" and result.counts["crawled"] == 7 and result.counts["exit_code"] == 0


def test_failing_function_job_is_logged_once_as_json_and_recorded(bb_env, caplog):
    def boom():
        raise RuntimeError("no route to the moon")

    caplog.handler.setFormatter(JsonFormatter())
    with caplog.at_level(logging.INFO, logger="bounceback.jobs"):
        result = JobRunner("test").run(JobSpec("boom", 60, func=boom))
    assert result.status == "failed" and result.error == "RuntimeError: no route to the moon"
    lines = [json.loads(caplog.handler.format(r)) for r in caplog.records if r.name == "bounceback.jobs"]
    summary = [line for line in lines if line.get("job") == "boom"]
    assert len(summary) == 1 and summary[0]["status"] == "failed" and "duration_s" in summary[0]
    assert job_runs("boom")[0].error == "RuntimeError: no route to the moon"


@pytest.mark.slow
def test_sigterm_abandons_a_hanging_job_kills_it_and_exits_zero(bb_env, tmp_path):
    pids = tmp_path / "pids"
    env = service_env(BB_FIXTURE_JOBS="hang", BB_HANG_PIDS=str(pids))
    proc = start_bb("run", "--tick", "1", "--grace", "0.5", env=env, log=tmp_path / "run.log")
    try:
        wait_for(pids.exists, 30, "the hanging job to start")
        wait_for(lambda: pids.read_text().count("\n") == 2, 5, "its pids")
        assert stop(proc) == 0
        job_pid, child_pid = (int(p) for p in pids.read_text().split())
        assert wait_for(lambda: _gone(job_pid) and _gone(child_pid), 5, "the job's processes to end")
        assert job_runs("fixture-hang")[-1].status == "abandoned"
    finally:
        kill_group(proc)


@pytest.mark.slow
def test_sigterm_stops_processes_an_in_process_job_started_in_their_own_session(bb_env, tmp_path):
    pid_file = tmp_path / "spawned.pid"
    env = service_env(BB_FIXTURE_JOBS="spawn", BB_SPAWN_PID=str(pid_file))
    proc = start_bb("run", "--tick", "1", "--grace", "0.5", env=env, log=tmp_path / "run.log")
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text(), 30, "the job's process to start")
        spawned = int(pid_file.read_text())
        started = time.monotonic()
        assert stop(proc) == 0
        assert time.monotonic() - started < 8
        assert wait_for(lambda: _gone(spawned), 5, "the job's process to end")
    finally:
        kill_group(proc)
