"""The scheduler's crawl job and `bounceback crawl`: due sources, time limits, kills and crashes recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from bounceback.plugins import discover_jobs
from bounceback.settings import get_settings
from bounceback.tables import Source
from bounceback.types import utcnow
from crawlers.jobs import crawl_due, jobs
from crawlers.launch import run_crawl_process
from tests.conftest import REPO
from tests.crawlers.conftest import Reply, add_source, rows, source_row

NEW = "/r/askreddit/new.json"
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_the_crawl_job_is_declared_for_the_scheduler(engine):
    (spec,) = jobs(get_settings())
    assert spec.name == "crawl" and spec.func is crawl_due
    assert "crawl" in {j.name for j in discover_jobs(get_settings())}


def test_crawl_job_runs_only_enabled_sources_that_are_due(engine, fixture_server):
    srv = fixture_server
    srv.route(NEW, Reply.file("reddit/empty_listing_2016.json"))
    srv.route("/r/other/new.json", Reply.file("reddit/empty_listing_2016.json"))
    due = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)
    recent = add_source(engine, "reddit", subreddit="other", base_url=srv.url)
    disabled = add_source(engine, "reddit", subreddit="other", base_url=srv.url)
    table = Source.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(
            update(table).where(table.c.id == recent).values(last_crawl_at=utcnow() - timedelta(seconds=60))
        )
        conn.execute(update(table).where(table.c.id == disabled).values(enabled=False))

    counts = crawl_due()

    assert (counts["due"], counts["ok"], counts["failed"], counts["killed"]) == (1, 1, 0, 0)
    assert len(srv.hits(NEW)) == 1 and not srv.hits("/r/other/new.json")
    assert source_row(engine, due).last_success_at is not None
    assert crawl_due()["due"] == 0  # its interval has not passed yet


def test_a_crawl_over_its_time_limit_is_killed_and_recorded_as_killed(engine, fixture_server):
    srv = fixture_server
    srv.route(NEW, Reply.file("reddit/subreddit_new_2016.json", delay=30))
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)
    started = time.monotonic()

    result = run_crawl_process(source_id, 3.0)

    assert time.monotonic() - started < 12
    assert result.status == "killed"
    run = rows(engine, "SELECT id, status, finished_at FROM crawlrun WHERE source_id = :s", s=source_id)
    assert len(run) == 1 and run[0].status == "killed" and run[0].finished_at is not None
    source = source_row(engine, source_id)
    assert source.consecutive_failures == 1 and "killed after 3s" in source.last_error


def test_a_crawl_process_that_dies_marks_its_source_unhealthy(engine, fixture_server):
    srv = fixture_server
    srv.route(NEW, Reply.file("reddit/subreddit_new_2016.json", delay=30))
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)
    outcome: dict[str, object] = {}
    worker = threading.Thread(target=lambda: outcome.update(crawl_due()))
    worker.start()
    deadline = time.monotonic() + 30
    pid = None
    while pid is None and time.monotonic() < deadline:
        found = rows(
            engine, "SELECT pid FROM crawlrun WHERE source_id = :s AND status = 'running'", s=source_id
        )
        pid = found[0].pid if found else None
        time.sleep(0.05)
    assert pid, "the child crawl never started"
    os.kill(pid, signal.SIGKILL)  # what the kernel's OOM killer would do
    worker.join(timeout=30)

    assert outcome["failed"] == 1
    run = rows(engine, "SELECT status, errors FROM crawlrun WHERE source_id = :s", s=source_id)
    assert [r.status for r in run] == ["failed"]
    source = source_row(engine, source_id)
    assert source.consecutive_failures == 1 and "exited with code -9" in source.last_error


def test_bounceback_crawl_command_runs_one_crawl_and_prints_its_counts(engine, fixture_server):
    srv = fixture_server
    srv.route(NEW, Reply.file("reddit/subreddit_new_2016.json"))
    srv.route(NEW, Reply.file("reddit/empty_listing_2016.json"), query={"after": "t3_48f6io"})
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)
    name = source_row(engine, source_id).name

    proc = subprocess.run(
        [sys.executable, "-m", "bounceback", "crawl", name, "--timeout", "60"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=90,
    )

    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (summary["source"], summary["status"], summary["new"]) == (name, "ok", 100)


def test_a_source_of_a_kind_without_a_spider_fails_with_a_clear_error(engine):
    source_id = add_source(engine, "googleplay-missing", app_id="x")

    result = run_crawl_process(source_id, 60)

    assert result.status == "failed"
    assert "unknown source kind 'googleplay-missing'" in source_row(engine, source_id).last_error


def test_repeated_crawl_rounds_keep_scrapy_out_of_the_launcher_and_its_memory_steady(engine, fixture_server):
    srv = fixture_server
    srv.route(NEW, Reply.file("reddit/empty_listing_2016.json"))
    add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)
    script = """
import json, sys, psutil
from sqlalchemy import text
from bounceback.db import get_engine
from crawlers.jobs import crawl_due
rss, results = [], []
for _ in range(6):
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE source SET last_crawl_at = NULL"))
    results.append(crawl_due())
    rss.append(psutil.Process().memory_info().rss)
print(json.dumps({"results": results, "rss": rss, "scrapy": "scrapy" in sys.modules,
                  "reactor": "twisted.internet.reactor" in sys.modules}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=240
    )

    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [r["ok"] for r in report["results"]] == [1] * 6
    assert report["scrapy"] is False and report["reactor"] is False  # every crawl ran in its own process
    assert report["rss"][-1] - report["rss"][1] < 5 * 1024 * 1024
