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


ROUNDS = 50  # two sources due each round: 100 crawls
LAUNCHER_ROUNDS = """
import json, subprocess, sys, psutil
from sqlalchemy import text
from bounceback.db import get_engine
from crawlers.jobs import crawl_due

outputs = []  # every child's stdout + stderr, seen where the launcher reads them (nothing is replaced)


class Observed(subprocess.Popen):
    def communicate(self, *args, **kwargs):
        out, err = super().communicate(*args, **kwargs)
        outputs.append((out or "") + (err or ""))
        return out, err


subprocess.Popen = Observed
rounds, rss = [], {}
for number in range(1, ROUNDS + 1):
    with get_engine().begin() as conn:  # every source is due again
        conn.execute(text("UPDATE source SET last_crawl_at = NULL"))
    rounds.append(crawl_due())
    rss[len(outputs)] = psutil.Process().memory_info().rss
print(json.dumps({"rounds": rounds, "rss": rss, "outputs": outputs, "scrapy": "scrapy" in sys.modules,
                  "reactor": "twisted.internet.reactor" in sys.modules}))
"""


def test_a_hundred_crawls_from_the_schedulers_launcher_all_succeed_and_its_memory_stays_steady(
    engine, fixture_server
):
    srv = fixture_server
    srv.route(NEW, Reply.file("reddit/empty_listing_2016.json"))
    srv.route("/api/v1/timelines/tag/hoot", Reply.file("mastodon/tag_timeline_hoot.json"))
    reddit = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)
    mastodon = add_source(engine, "mastodon", instance="mastodon.example", tag="hoot", base_url=srv.url)
    assert get_settings().crawl_parallel == 2  # two due sources: the job runs their crawls side by side

    proc = subprocess.run(  # the launcher runs in a process of its own, as under `bounceback run`
        [sys.executable, "-c", LAUNCHER_ROUNDS.replace("ROUNDS", str(ROUNDS))],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=1200,
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [(r["due"], r["ok"], r["failed"], r["killed"]) for r in report["rounds"]] == [
        (2, 2, 0, 0)
    ] * ROUNDS
    runs = rows(engine, "SELECT source_id, status, errors FROM crawlrun")
    assert len(runs) == 2 * ROUNDS and {r.status for r in runs} == {"ok"}
    assert {r.source_id for r in runs} == {reddit, mastodon}
    assert [r.errors for r in runs if json.loads(r.errors)] == []  # raw SQL on SQLite: JSON as text
    assert len(report["outputs"]) == 2 * ROUNDS
    for output in [*report["outputs"], proc.stderr]:
        for bad in ("ReactorNotRestartable", "ReactorAlreadyInstalled", "Traceback", "Unhandled error"):
            assert bad not in output, output[-2000:]
    assert report["scrapy"] is False and report["reactor"] is False  # every crawl ran in its own process
    grown = report["rss"][str(2 * ROUNDS)] - report["rss"]["10"]
    after_ten = report["rss"]["10"] / 2**20
    print(f"launcher RSS: {after_ten:.1f} MB after crawl 10, {grown / 2**20:+.2f} MB by the last")
    assert grown < 20 * 1024 * 1024, f"the launcher grew by {grown / 2**20:.1f} MB from crawl 10 to the last"
