"""Faults against the local server: retries, Retry-After, 4xx, robots.txt, private URLs, bad bodies, kill -9.

Behaviour that does not depend on the database runs on SQLite only; what touches storage semantics
(kill -9 and re-run) runs on both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from scrapy import Request

from crawlers.middlewares import NetGuardMiddleware, RefusedURL, rate_limit_wait, retry_after_seconds
from crawlers.spiders import SPIDERS
from tests.conftest import REPO
from tests.crawlers.conftest import (
    FIXTURES,
    Reply,
    add_source,
    crawl_run,
    rows,
    run_crawl,
    source_row,
)

NEW = "/r/askreddit/new.json"
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def route_three_pages(srv, delay: float = 0.0) -> None:
    """Three real listings chained by their own ``after`` cursors, then an empty one."""
    srv.route(NEW, Reply.file("reddit/subreddit_new_2016.json"))
    srv.route(
        NEW, Reply.file("reddit/subreddit_comments_2023.json", delay=delay), query={"after": "t3_48f6io"}
    )
    srv.route(
        NEW, Reply.file("reddit/listing_popular_hot_2026.json", delay=delay), query={"after": "t1_k3uzsxu"}
    )
    srv.route(NEW, Reply.file("reddit/empty_listing_2016.json"), query={"after": "t3_1skbyfv"})


@sqlite_only
def test_503_twice_then_200_stores_every_item_once(engine, fixture_server):
    srv = fixture_server
    unavailable = Reply(503, b"<html><body>upstream unavailable</body></html>", content_type="text/html")
    srv.route(NEW, unavailable, unavailable, Reply.file("reddit/subreddit_new_2016.json"))
    srv.route(NEW, Reply.file("reddit/empty_listing_2016.json"), query={"after": "t3_48f6io"})
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    assert [h.query.get("after") for h in srv.hits(NEW)] == [None, None, None, ["t3_48f6io"]]
    s = result.summary
    assert (s["status"], s["new"], s["errors"]) == ("ok", 100, 0)
    ids = rows(engine, "SELECT external_id FROM mention WHERE source_id = :s", s=source_id)
    assert len(ids) == 100 == len({r.external_id for r in ids})


@sqlite_only
def test_404_is_recorded_after_one_request_and_the_source_is_marked_failing(engine, fixture_server):
    srv = fixture_server
    srv.route(NEW, Reply.file("reddit/error_404_not_found_2016.json", status=404))
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 1
    assert len(srv.hits(NEW)) == 1
    run = crawl_run(engine, result.summary["run_id"])
    assert run.status == "failed" and run.finished_at is not None
    assert run.errors[0]["kind"] == "http"
    assert run.errors[0]["reason"].startswith("HTTP 404") and "Not Found" in run.errors[0]["reason"]
    source = source_row(engine, source_id)
    assert source.consecutive_failures == 1 and "HTTP 404" in source.last_error
    assert source.last_success_at is None and source.last_crawl_at is not None


@sqlite_only
def test_429_waits_as_long_as_retry_after_says_before_asking_again(engine, fixture_server):
    srv = fixture_server
    too_many = Reply.json(
        {"message": "Too Many Requests", "error": 429}, status=429, headers={"Retry-After": "2"}
    )
    srv.route(NEW, too_many, Reply.file("reddit/empty_listing_2016.json"))
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    first, second = srv.hits(NEW)
    assert second.at - first.at >= 1.95
    assert result.summary["errors"] == 0


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert retry_after_seconds(b"soon") is None and retry_after_seconds(None) is None
    assert retry_after_seconds("-5") == 0.0


@sqlite_only
def test_robots_txt_disallow_means_no_request_to_that_path(engine, fixture_server):
    srv = fixture_server
    srv.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /r/\n", content_type="text/plain"))
    srv.route(NEW, Reply.file("reddit/subreddit_new_2016.json"))
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 1
    assert srv.hits("/robots.txt") and not srv.hits(NEW)
    run = crawl_run(engine, result.summary["run_id"])
    assert run.errors[0]["kind"] == "robots" and "robots.txt" in run.errors[0]["reason"]


@sqlite_only
def test_a_private_address_is_refused_with_a_clear_error_when_not_allowed(
    engine, fixture_server, monkeypatch
):
    monkeypatch.setenv("BOUNCEBACK_ALLOW_PRIVATE_URLS", "false")
    srv = fixture_server
    srv.route(NEW, Reply.file("reddit/subreddit_new_2016.json"))
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 1
    assert srv.requests == []  # not even robots.txt
    run = crawl_run(engine, result.summary["run_id"])
    error = run.errors[0]
    assert error["kind"] == "refused"
    assert (
        "private address 127.0.0.1" in error["reason"] and "BOUNCEBACK_ALLOW_PRIVATE_URLS" in error["reason"]
    )
    assert "refused" in source_row(engine, source_id).last_error


@sqlite_only
def test_malformed_json_is_recorded_and_the_rest_of_the_crawl_goes_on(engine, fixture_server):
    srv = fixture_server
    cut = (FIXTURES / "bluesky/searchPosts_2023.json").read_bytes()[:700]  # a truncated body
    srv.route("/xrpc/app.bsky.feed.searchPosts", Reply(200, cut))
    srv.route("/xrpc/app.bsky.feed.getAuthorFeed", Reply.file("bluesky/getFeed_2023.json"))
    source_id = add_source(engine, "bluesky", query="fone", actor="someone.bsky.social", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    s = result.summary
    assert (s["status"], s["new"], s["errors"]) == ("ok", 7, 1)
    error = crawl_run(engine, s["run_id"]).errors[0]
    assert error["kind"] == "parse" and error["reason"].startswith("malformed JSON")
    assert "searchPosts" in error["url"]


@sqlite_only
def test_a_page_whose_layout_changed_is_an_error_not_a_quiet_success(engine, fixture_server):
    srv = fixture_server
    listing = json.loads((FIXTURES / "reddit/subreddit_new_2016.json").read_bytes())
    for child in listing["data"]["children"]:
        child["payload"] = child.pop("data")  # the fields moved: nothing can be read any more
    srv.route(NEW, Reply.json(listing))
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 1
    run = crawl_run(engine, result.summary["run_id"])
    assert run.status == "failed" and run.items_new == 0
    assert [e["kind"] for e in run.errors] == ["layout"]  # one error for the page, not 100
    reason = run.errors[0]["reason"]
    assert reason.startswith(
        "0 items parsed from a non-empty page (100 records failed, first: record 0: KeyError"
    )
    assert "layout" in source_row(engine, source_id).last_error


@sqlite_only
def test_an_oversize_response_is_refused_and_recorded_while_earlier_pages_are_kept(
    engine, fixture_server, monkeypatch
):
    monkeypatch.setenv("BOUNCEBACK_CRAWL_MAX_RESPONSE_BYTES", "200000")
    srv = fixture_server
    srv.route(NEW, Reply.file("reddit/subreddit_new_2016.json"))  # 130 KB
    srv.route(NEW, Reply.file("reddit/listing_popular_hot_2026.json"), query={"after": "t3_48f6io"})  # 546 KB
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)

    result = run_crawl(source_id)

    s = result.summary
    assert (s["new"], s["errors"]) == (100, 1)
    error = crawl_run(engine, s["run_id"]).errors[0]
    assert error["kind"] == "oversize" and "after=t3_48f6io" in error["url"]


def test_kill_9_mid_crawl_then_rerun_loses_nothing_and_duplicates_nothing(engine, fixture_server):
    srv = fixture_server
    route_three_pages(srv, delay=1.5)
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)
    proc = subprocess.Popen([sys.executable, "-m", "crawlers.run", str(source_id)], cwd=REPO)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        stored = rows(engine, "SELECT count(*) AS n FROM mention WHERE source_id = :s", s=source_id)[0].n
        if stored >= 100:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    before = rows(engine, "SELECT count(*) AS n FROM mention WHERE source_id = :s", s=source_id)[0].n
    assert 100 <= stored <= before < 300, "the kill landed mid-crawl"
    srv.reset()
    route_three_pages(srv)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    ids = [
        r.external_id
        for r in rows(engine, "SELECT external_id FROM mention WHERE source_id = :s", s=source_id)
    ]
    assert len(ids) == 300 == len(set(ids))
    assert result.summary["new"] == 300 - before
    runs = rows(
        engine, "SELECT status, items_new FROM crawlrun WHERE source_id = :s ORDER BY id", s=source_id
    )
    assert [r.status for r in runs] == ["running", "ok"]  # only a launcher can say "killed"
    assert runs[0].items_new == before  # the killed run's progress was written as it went


def test_the_guard_refuses_private_metadata_loopback_and_non_http_urls():
    strict, relaxed = NetGuardMiddleware(allow_private=False), NetGuardMiddleware(allow_private=True)
    for url in (
        "http://10.0.0.1/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://localhost/",
    ):
        with pytest.raises(RefusedURL, match="private address"):
            strict.process_request(Request(url))
    assert strict.process_request(Request("http://93.184.215.14/r/x/new.json")) is None  # a public literal
    assert relaxed.process_request(Request("http://10.0.0.1/x")) is None  # tests and the demo
    for guard in (strict, relaxed):  # Scrapy could read local files or FTP: never
        with pytest.raises(RefusedURL, match="only http and https"):
            guard.process_request(Request("file:///etc/passwd"))


@sqlite_only
def test_a_spent_rate_limit_budget_is_waited_out_before_the_next_page(engine, fixture_server):
    srv = fixture_server
    spent = {"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "2", "x-ratelimit-used": "600"}  # Reddit's
    srv.route(NEW, Reply.file("reddit/subreddit_new_2016.json", headers=spent))
    srv.route(NEW, Reply.file("reddit/empty_listing_2016.json"), query={"after": "t3_48f6io"})
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    first, second = srv.hits(NEW)
    assert second.at - first.at >= 1.95
    assert result.summary["new"] == 100


def test_rate_limit_reset_is_read_in_reddit_seconds_mastodon_iso_time_or_epoch():
    from scrapy.http import Headers

    now = 1_785_592_500.0  # 2026-08-01T13:55:00Z
    mastodon = Headers({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-08-01T13:55:30.146988Z"})
    assert rate_limit_wait(mastodon, now=now) == pytest.approx(30.147, abs=0.01)
    assert (
        rate_limit_wait(Headers({"X-RateLimit-Remaining": "0.0", "X-RateLimit-Reset": "525"}), now=now) == 525
    )
    assert (
        rate_limit_wait(Headers({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(now + 9)}), now=now)
        == 9
    )
    assert (
        rate_limit_wait(Headers({"X-RateLimit-Remaining": "299", "X-RateLimit-Reset": "60"}), now=now) is None
    )
    assert rate_limit_wait(Headers({}), now=now) is None


def test_importing_the_crawler_does_not_install_a_reactor_before_scrapy_chooses_one():
    modules = [
        "crawlers.run",
        "crawlers.jobs",
        "crawlers.commands",
        "crawlers.pipelines",
        "crawlers.middlewares",
    ]
    modules += [ref.split(":")[0] for ref in SPIDERS.values()]
    code = f"import sys; import {', '.join(modules)}; print('twisted.internet.reactor' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
