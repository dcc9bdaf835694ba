"""The page budget never loses mentions: a later crawl stopped by it leaves a resume pointer that the next
crawls follow to the end of the gap (real Scrapy crawls of a local Algolia-style server, SQLite and
PostgreSQL); a first crawl's budget is only the backfill limit; pointers never hold headers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import update

from bounceback.tables import Source
from crawlers.items import MentionItem
from crawlers.spiders.hackernews import HackerNewsSpider
from tests.crawlers.conftest import add_source, crawl_run, mentions_by_id, run_crawl, source_row
from tests.httpserve import JSON_TYPE, ROBOTS_ALLOW_ALL, LocalServer, QuietHandler, serving

PER_PAGE = 5
T0 = 1_700_000_000


class SearchServer(LocalServer):
    """Algolia ``search_by_date`` over a list of hits the test grows; PER_PAGE hits a page, by time."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.times: list[int] = []
        self.befores: list[int | None] = []  # the numericFilters bound of every search received

    def add(self, count: int) -> list[int]:
        """``count`` new hits, newer than every hit so far; their times."""
        start = max(self.times, default=T0) + 60
        new = [start + 60 * i for i in range(count)]
        self.times += new
        return new


class _Handler(QuietHandler):
    server: SearchServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/robots.txt":
            self.send_bytes(200, ROBOTS_ALLOW_ALL, {"Content-Type": JSON_TYPE})
        else:
            bound = parse_qs(parts.query).get("numericFilters", [""])[0]
            before = int(bound.split("<")[1]) if bound.startswith("created_at_i<") else None
            self.server.befores.append(before)
            hits = sorted((t for t in self.server.times if before is None or t < before), reverse=True)
            page = [
                {
                    "objectID": str(t),
                    "created_at_i": t,
                    "_tags": ["story"],
                    "title": f"Northwind {t}",
                    "story_text": "ok",
                }
                for t in hits[:PER_PAGE]
            ]
            self.send_json({"hits": page, "page": 0, "nbPages": -(-len(hits) // PER_PAGE)})


@pytest.fixture
def search() -> Iterator[SearchServer]:
    with serving(SearchServer()) as server:
        yield server


def crawl(engine: Any, source_id: int) -> tuple[dict[str, Any], Any]:
    result = run_crawl(source_id)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.summary, crawl_run(engine, result.summary["run_id"])


def test_a_gap_left_by_the_budget_is_fetched_by_the_next_crawls_and_every_item_stored_once(
    engine, search, monkeypatch
):
    monkeypatch.setenv("BOUNCEBACK_CRAWL_MAX_PAGES", "2")
    source_id = add_source(engine, "hackernews", query="northwind", base_url=search.url)
    history = search.add(12)

    first, run1 = crawl(engine, source_id)  # a first crawl: the budget is the backfill limit
    assert (first["status"], first["pages"], first["new"], first["errors"]) == ("ok", 2, 10, 0)
    assert run1.errors == [] and "resume" not in source_row(engine, source_id).state

    gap = search.add(23)  # more than the budget's worth of pages arrives before the next crawl
    second, run2 = crawl(engine, source_id)
    assert (second["status"], second["pages"], second["new"]) == ("ok", 2, 10)
    assert [e["kind"] for e in run2.errors] == ["budget"]
    assert "page budget of 2 pages reached with unseen items left" in run2.errors[0]["reason"]
    after_second = source_row(engine, source_id)
    assert after_second.last_error.startswith("budget: page budget of 2 pages")
    (pointer,) = after_second.state["resume"]
    assert pointer["until"] == datetime.fromtimestamp(history[-1], UTC).isoformat()  # the gap's end
    assert f"created_at_i%3C{gap[-10]}" in pointer["url"] and pointer["callback"] == "parse"
    assert (
        after_second.state["streams"]["default"]["newest"] == datetime.fromtimestamp(gap[-1], UTC).isoformat()
    )

    latest = search.add(3)
    third, run3 = crawl(engine, source_id)  # the newest page, plus two resumed pages of the gap
    assert (third["status"], third["pages"], third["new"]) == ("ok", 3, 13)
    assert [e["kind"] for e in run3.errors] == ["budget"]  # the gap is not closed yet: 3 items left
    (moved,) = source_row(engine, source_id).state["resume"]
    assert f"created_at_i%3C{gap[3]}" in moved["url"] and moved["until"] == pointer["until"]

    search.befores.clear()
    fourth, run4 = crawl(engine, source_id)  # the rest of the gap; the chain stops at the gap's end
    assert (fourth["status"], fourth["new"], fourth["errors"]) == ("ok", 3, 0)
    assert run4.errors == [] and "resume" not in source_row(engine, source_id).state
    assert min(b for b in search.befores if b is not None) == gap[3], "never paged past the gap's end"

    fifth, _ = crawl(engine, source_id)
    assert (fifth["new"], fifth["pages"], fifth["errors"]) == (0, 1, 0)
    stored = mentions_by_id(engine, source_id)
    assert sorted(int(i) for i in stored) == sorted(history[2:] + gap + latest)  # 2 beyond the backfill
    total_new = sum(s["new"] for s in (first, second, third, fourth, fifth))
    assert total_new == len(stored) == 36


def in_process(engine: Any, state: dict[str, Any], max_pages: int = 1) -> HackerNewsSpider:
    source_id = add_source(engine, "hackernews", query="northwind", base_url="http://hn.test")
    table = Source.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == source_id).values(state=state))
    crawler = get_crawler(HackerNewsSpider, {"BOUNCEBACK_MAX_PAGES": max_pages})
    return HackerNewsSpider.from_crawler(crawler, source_id=source_id)


def hits_page(times: list[int]) -> list[dict[str, Any]]:
    return [
        {"objectID": str(t), "created_at_i": t, "_tags": ["story"], "title": "x", "story_text": "y"}
        for t in times
    ]


def parse_page(spider: HackerNewsSpider, request: Request, times: list[int], nb_pages: int = 9) -> list[Any]:
    body = json.dumps({"hits": hits_page(times), "page": 0, "nbPages": nb_pages})
    return list(
        spider.parse(TextResponse(request.url, body=body.encode(), encoding="utf-8", request=request))
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_pointer_keeps_no_headers_or_credential_meta(engine):
    prior = {"streams": {"default": {"newest": datetime.fromtimestamp(T0, UTC).isoformat(), "ids": ["1"]}}}
    spider = in_process(engine, prior)
    first = Request("http://hn.test/api/v1/search_by_date?query=northwind")
    secret = Request(
        "http://hn.test/api/v1/search_by_date?query=northwind&numericFilters=created_at_i%3C100",
        callback=spider.parse,
        headers={"Authorization": "Bearer s3cr3t-token", "Cookie": "session=s3cr3t"},
        meta={"handle_httpstatus_list": [401], "proxy": "http://u:s3cr3t@proxy", "x_auth_token": "s3cr3t"},
    )
    response = TextResponse(first.url, body=b"{}", request=first)
    out = list(spider.page(response, hits_page([T0 + 700]), spider.to_item, secret))
    assert [o for o in out if isinstance(o, Request)] == []  # the budget (1 page) stopped it
    assert [e["kind"] for e in spider.report.errors] == ["budget"]
    (pointer,) = spider.next_state()["resume"]
    assert "s3cr3t" not in json.dumps(pointer) and "Authorization" not in json.dumps(pointer)
    assert pointer["meta"] == {"handle_httpstatus_list": [401]} and pointer["url"] == secret.url


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_resumed_chain_stops_at_its_gap_end_and_leaves_the_watermark_alone(engine):
    newest = datetime.fromtimestamp(T0 + 5000, UTC).isoformat()
    pointer = {
        "stream": "default",
        "url": "http://hn.test/api/v1/search_by_date?query=northwind&numericFilters=created_at_i%3C3000",
        "callback": "parse",
        "cb_kwargs": {},
        "meta": {},
        "until": datetime.fromtimestamp(T0 + 1000, UTC).isoformat(),
        "until_ids": [],
        "tries": 0,
    }
    spider = in_process(
        engine, {"streams": {"default": {"newest": newest, "ids": []}}, "resume": [pointer]}, 3
    )

    async def first_requests() -> list[Request]:
        return [r async for r in spider.start()]

    requests = asyncio.run(first_requests())
    assert [r.url for r in requests][1:] == [pointer["url"]] and requests[1].meta["bb_resume"] == 0
    out = parse_page(spider, requests[1], [T0 + 2900, T0 + 2000])
    (follow,) = [o for o in out if isinstance(o, Request)]
    assert follow.meta["bb_resume"] == 0 and follow.dont_filter
    out = parse_page(spider, follow, [T0 + 1500, T0 + 999])  # reaches what the earlier crawl covered
    assert [o for o in out if isinstance(o, Request)] == [] and len(
        [o for o in out if isinstance(o, MentionItem)]
    ) == 2
    state = spider.next_state()
    assert "resume" not in state and state["streams"]["default"]["newest"] == newest
    assert spider.report.errors == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_pointers_beyond_the_cap_are_given_up_loudly(engine):
    prior_pointer = {"stream": "default", "url": "http://hn.test/old", "callback": "parse", "tries": 0}
    state = {
        "streams": {"default": {"newest": datetime.fromtimestamp(T0, UTC).isoformat(), "ids": []}},
        "resume": [{**prior_pointer, "url": f"http://hn.test/old{i}"} for i in range(10)],
    }
    spider = in_process(engine, state)
    first = Request("http://hn.test/api/v1/search_by_date?query=northwind")
    parse_page(spider, first, [T0 + 900, T0 + 800])  # a new gap; the ten old chains did not run
    saved = spider.next_state()["resume"]
    assert len(saved) == 10 and "created_at_i%3C" in saved[0]["url"] and saved[-1]["tries"] == 1
    given_up = [e for e in spider.report.errors if e["kind"] == "resume"]
    assert len(given_up) == 1 and "http://hn.test/old9" in given_up[0]["reason"]
