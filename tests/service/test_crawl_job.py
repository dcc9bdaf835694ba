"""The scheduler's crawl job: what it counts, and a crawl interrupted by the scheduler's shutdown.

Every item a crawl fetched is counted somewhere in the job's counts (stored as new, updated or
unchanged, filtered out by the watches, or skipped by its spider), so none is dropped unseen.

A crawl under way when `bounceback run` gets SIGTERM is abandoned, not a failure of its source. The
scheduler runs in a subprocess against a local server that answers robots.txt and then holds the
listing request open, so the crawl is mid-flight when the signal arrives. The run must be recorded as
``abandoned`` with its reason, the source's health left alone (no consecutive failure, no last
error), the crawl process gone, and the source due again at once: the next scheduler crawls it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from collections.abc import Iterator

import psutil
import pytest
from sqlalchemy import select

from bounceback.db import get_engine
from bounceback.sources import add_source
from bounceback.tables import CrawlRun, Source, SourceCreate
from bounceback.watches import add_watch
from crawlers.jobs import crawl_due
from crawlers.replay import demo_sources, start_replay
from tests.httpserve import JSON_TYPE, ROBOTS_ALLOW_ALL, LocalServer, QuietHandler, serving
from tests.service.helpers import job_runs, kill_group, service_env, start_bb, stop, wait_for

CR = CrawlRun.__table__  # type: ignore[attr-defined]
SRC = Source.__table__  # type: ignore[attr-defined]
EMPTY_LISTING = b'{"kind": "Listing", "data": {"children": [], "after": null, "before": null}}'


class HoldingServer(LocalServer):
    """robots.txt at once; every other request waits until ``release`` is set, then an empty listing."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.release = threading.Event()
        self.held = threading.Event()  # a listing request arrived (the crawl is under way)


class _Handler(QuietHandler):
    server: HoldingServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            body = ROBOTS_ALLOW_ALL
        else:
            self.server.held.set()
            self.server.release.wait(60)
            body = EMPTY_LISTING
        with contextlib.suppress(OSError):  # the crawl may have been killed meanwhile
            self.send_bytes(200, body, {"Content-Type": JSON_TYPE})


@pytest.fixture
def holding_server() -> Iterator[HoldingServer]:
    with serving(HoldingServer()) as server:
        try:
            yield server
        finally:
            server.release.set()  # before the server stops: a held request answers and its thread ends


def _runs(source_id: int) -> list:
    with get_engine().connect() as conn:
        return list(conn.execute(select(CR).where(CR.c.source_id == source_id).order_by(CR.c.id)).all())


def _source(source_id: int):
    with get_engine().connect() as conn:
        return conn.execute(select(SRC).where(SRC.c.id == source_id)).one()


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_crawl_job_counts_the_items_the_watch_filtered_out_beside_those_it_stored(bb_env):
    server = start_replay(120, start=time.time() - 7200)  # every item of the sample already published
    try:
        (hn,) = [s for s in demo_sources(server.url) if s["kind"] == "hackernews"]
        add_source(SourceCreate(**hn))
        # no "@northwindcoffee" term: mentions naming the brand only by its handle are not kept
        add_watch("northwind", ["Northwind Coffee", "Northwind"], ["Northwind Sailing"])
        query = f"{server.url}/api/v1/search_by_date?query=Northwind&hitsPerPage=1"
        with urllib.request.urlopen(query, timeout=10) as response:
            offered = json.load(response)["nbHits"]

        counts = crawl_due()
    finally:
        server.close()

    with get_engine().connect() as conn:
        stored = conn.execute(select(CrawlRun.__table__.c.items_new)).scalar_one()
    assert (counts["due"], counts["ok"]) == (1, 1)
    assert counts["new"] == stored and counts["filtered"] > 0
    assert counts["new"] + counts["filtered"] + counts["skipped"] == offered  # parked ones are new too


@pytest.mark.slow
def test_sigterm_mid_crawl_records_the_crawl_as_abandoned_and_keeps_the_source_healthy(
    bb_env, tmp_path, holding_server
):
    source = add_source(
        SourceCreate(
            kind="reddit",
            name="held-reddit",
            params={"subreddit": "askreddit", "base_url": holding_server.url},
            interval_seconds=3600,
        )
    )
    assert source.id is not None
    env = service_env(BB_FIXTURE_JOBS="tick")
    proc = start_bb("run", "--tick", "1", "--grace", "0.5", env=env, log=tmp_path / "run.log")
    try:
        assert holding_server.held.wait(120), "the crawl never requested its listing"
        (running,) = wait_for(lambda: _runs(source.id), 30, "the crawl's run row")
        assert running.status == "running" and running.pid

        assert stop(proc) == 0
    finally:
        kill_group(proc)

    (run,) = _runs(source.id)
    assert run.status == "abandoned" and run.finished_at is not None
    assert [e["kind"] for e in run.errors] == ["interrupted"]
    assert "the scheduler shut down during this crawl" in run.errors[0]["reason"]
    health = _source(source.id)
    assert health.consecutive_failures == 0 and health.last_error is None
    assert health.last_crawl_at is None  # due again at the next start, not an interval later
    assert wait_for(lambda: _gone(running.pid), 10, "the crawl process to end")
    assert job_runs("crawl")[-1].status == "abandoned"
    assert "interrupted: the scheduler shut down" in (tmp_path / "run.log").read_text()

    holding_server.release.set()  # the next scheduler crawls it again at once, and it succeeds
    proc = start_bb("run", "--tick", "1", "--grace", "0.5", env=env, log=tmp_path / "run2.log")
    try:
        wait_for(lambda: job_runs("crawl")[-1].counts.get("ok") == 1, 120, "the crawl job to rerun it")
        assert stop(proc) == 0
    finally:
        kill_group(proc)
    assert [r.status for r in _runs(source.id)] == ["abandoned", "ok"]
    health = _source(source.id)
    assert health.consecutive_failures == 0 and health.last_success_at is not None
