"""Reddit's Atom feeds (``.rss``): read on request or when the JSON API is refused, same posts, same rows.

No real capture of Reddit's Atom feeds exists in ../shared/fixtures (praw's cassettes hold JSON only),
so these tests run against the replay server, whose feeds follow what www.reddit.com serves element
for element (crawlers/sample/render_reddit_atom.py). The 403 it answers when told to refuse JSON has
the body of the real capture reddit/error_403_forbidden_2025.json.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bounceback.tables import Source
from crawlers.replay import ReplayData, ReplayServer, _matches
from crawlers.sample import build_sample
from crawlers.sample.render_social import reddit_id
from tests.crawlers.conftest import (
    Reply,
    add_source,
    crawl_run,
    mentions_by_id,
    rows,
    run_crawl,
    run_crawls,
    source_row,
)

FIELDS = ("title", "text", "url", "author_handle", "author_url")


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    """1,000 sample mentions (160 Reddit posts match "Northwind": two pages), clock frozen."""
    frozen = time.time()
    server = ReplayServer(ReplayData(build_sample(1000, 7), clock=lambda: frozen)).start_background()
    yield server
    server.close()


def _paths(server: ReplayServer, suffix: str) -> list[str]:
    return [p for p in server.requests if p.split("?")[0].endswith(suffix)]


def test_the_feed_gives_the_posts_the_json_api_gives_and_a_switch_adds_no_rows(engine, replay):
    data = replay.data
    expected = [s for s in data.visible("reddit") if _matches(s, "Northwind")]
    by_json = add_source(engine, "reddit", query="Northwind", format="json", base_url=replay.url)
    by_feed = add_source(engine, "reddit", query="Northwind", format="rss", base_url=replay.url)

    json_run, feed_run = run_crawls(by_json, by_feed)

    assert json_run.returncode == 0 and feed_run.returncode == 0, feed_run.stderr[-2000:]
    assert (feed_run.summary["status"], feed_run.summary["new"], feed_run.summary["errors"]) == ("ok", 160, 0)
    assert feed_run.summary["skipped"] == 1  # the r/northwindcoffee subreddit listed among the results
    assert feed_run.summary["pages"] == 3 and json_run.summary["pages"] == 2
    feeds = _paths(replay, "/search.rss")
    assert len(feeds) == 3 and "after=" not in feeds[0] and all("after=t3_" in p for p in feeds[1:])
    assert all("q=Northwind" in p and "sort=new" in p and "limit=100" in p for p in feeds)
    from_json, from_feed = mentions_by_id(engine, by_json), mentions_by_id(engine, by_feed)
    assert len(expected) == len(from_json) == 160 and set(from_feed) == set(from_json)
    assert all(k.startswith("t3_") for k in from_feed)
    for key, post in from_json.items():
        read = from_feed[key]
        assert {f: getattr(read, f) for f in FIELDS} == {f: getattr(post, f) for f in FIELDS}, key
        assert read.published_at == post.published_at.replace(microsecond=0)  # the feed has seconds
        assert read.extra == {"subreddit": post.extra["subreddit"]} and read.engagement == {}
    markup = next(s.mention for s in expected if "<script>" in s.mention.text)
    assert from_feed[f"t3_{reddit_id(markup)}"].text == markup.text  # markup in a post is text, not tags

    table = Source.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:  # the same source, now reading the feed (Reddit blocked its JSON)
        conn.execute(
            update(table)
            .where(table.c.id == by_json)
            .values(params={"query": "Northwind", "format": "rss", "base_url": replay.url})
        )
    switched = run_crawl(by_json)

    assert switched.returncode == 0, switched.stderr[-2000:]
    # page 1 only (it ends on posts seen before); each of its posts lost ``over_18`` from its extra
    assert (switched.summary["new"], switched.summary["updated"], switched.summary["pages"]) == (0, 100, 1)
    after = mentions_by_id(engine, by_json)
    assert len(after) == 160
    assert all(after[k].engagement == from_json[k].engagement != {} for k in after), "counts kept"
    assert all(after[k].version == 1 for k in after), "no post read as edited"
    snapshots = rows(
        engine,
        "SELECT count(*) AS n FROM engagementsnapshot WHERE mention_id IN "
        "(SELECT id FROM mention WHERE source_id = :s)",
        s=by_json,
    )[0].n
    assert snapshots == 160  # only the first ones: nothing grew, nothing was zeroed


def test_a_subreddit_feed_reads_its_newest_posts(engine, replay):
    source_id = add_source(engine, "reddit", subreddit="r/Coffee", format="rss", base_url=replay.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    coffee = [s for s in replay.data.visible("reddit") if s.mention.extra["subreddit"] == "Coffee"]
    assert result.summary["new"] == len(coffee) == 46
    assert _paths(replay, "/r/Coffee/new/.rss")[0] == "/r/Coffee/new/.rss?limit=100"
    stored = mentions_by_id(engine, source_id)
    newest = coffee[0].mention
    post = next(
        m for m in stored.values() if m.title == newest.title and m.author_handle == newest.author.handle
    )
    assert post.url.startswith("https://www.reddit.com/r/Coffee/comments/") and post.extra == {
        "subreddit": "Coffee"
    }
    assert post.published_at == coffee[0].published.replace(microsecond=0)
    assert post.raw_ref == f"{replay.url}/r/Coffee/new/.rss?limit=100#{post.external_id}"
    assert post.author_url == f"https://www.reddit.com/user/{newest.author.handle}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_json_refused_with_403_falls_back_to_the_feed_and_the_next_crawl_goes_there_first(engine, replay):
    replay.reddit_json_refused = True
    auto = add_source(engine, "reddit", query="Northwind", base_url=replay.url)
    only_json = add_source(engine, "reddit", query="Northwind", format="json", base_url=replay.url)
    unknown = add_source(engine, "reddit", query="Northwind", format="xml", base_url=replay.url)

    first, refused, broken = run_crawls(auto, only_json, unknown)
    json_hits = len(_paths(replay, "/search.json"))
    second = run_crawl(auto)

    assert first.returncode == 0, first.stderr[-2000:]
    assert (first.summary["status"], first.summary["new"], first.summary["errors"]) == ("ok", 160, 0)
    state = source_row(engine, auto).state
    assert state["json_refused"] == 'HTTP 403: {"message": "Forbidden", "error": 403}'
    assert state["json_refused_at"] and source_row(engine, auto).last_error is None
    assert "JSON refused" in first.stderr and "reading the feed" in first.stderr
    assert json_hits == 2  # one for the auto source, one for the json-only one
    assert (second.summary["new"], second.summary["unchanged"]) == (0, 100)  # page 1: all seen before
    assert len(_paths(replay, "/search.json")) == json_hits, "the second crawl went straight to the feed"

    table = Source.__table__  # type: ignore[attr-defined]
    day_ago = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    with engine.begin() as conn:  # a day later Reddit serves JSON again
        conn.execute(
            update(table).where(table.c.id == auto).values(state={**state, "json_refused_at": day_ago})
        )
    replay.reddit_json_refused = False
    third = run_crawl(auto)

    assert third.returncode == 0 and len(_paths(replay, "/search.json")) == json_hits + 1
    assert source_row(engine, auto).state["json_refused_at"] is None
    assert third.summary["updated"] == 100  # the counts (and over_18) the feed could not give

    assert refused.returncode == 1
    (error,) = crawl_run(engine, refused.summary["run_id"]).errors
    assert (error["kind"], error["reason"]) == ("http", 'HTTP 403: {"message": "Forbidden", "error": 403}')
    assert broken.returncode == 1
    assert "format must be one of auto, json, rss, not 'xml'" in source_row(engine, unknown).last_error


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_page_that_is_not_a_feed_is_a_layout_error_and_a_refused_feed_an_http_error(engine, fixture_server):
    srv = fixture_server
    html = {"content_type": "text/html; charset=utf-8", "headers": {"Content-Encoding": "gzip"}}
    srv.route("/search.rss", Reply.file("schemaorg/product_4f29e8cc0803.html.gz", **html))  # a real web page
    srv.route("/r/private/new/.rss", Reply.file("reddit/error_403_forbidden_2025.json", status=403))
    not_a_feed = add_source(engine, "reddit", query="Northwind", format="rss", base_url=srv.url)
    refused = add_source(engine, "reddit", subreddit="private", format="rss", base_url=srv.url)

    page, forbidden = run_crawls(not_a_feed, refused)

    assert (page.returncode, forbidden.returncode) == (1, 1)
    (layout,) = crawl_run(engine, page.summary["run_id"]).errors
    assert layout["kind"] == "layout" and layout["reason"].startswith("not a readable Reddit feed")
    (http,) = crawl_run(engine, forbidden.summary["run_id"]).errors
    assert (http["kind"], http["reason"]) == ("http", 'HTTP 403: {"message": "Forbidden", "error": 403}')
    assert len(srv.hits("/r/private/new/.rss")) == 1  # a 403 is not retried, and has no fallback here
