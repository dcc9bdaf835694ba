"""Incremental paging decided by the spider base from Source.state (in-process, no reactor needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import update

from bounceback.tables import Source
from crawlers.items import MentionItem
from crawlers.spiders.reddit import RedditSpider
from tests.crawlers.conftest import FIXTURES, add_source

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
BODY = (FIXTURES / "reddit/subreddit_new_2016.json").read_bytes()
CHILDREN = [c["data"] for c in json.loads(BODY)["data"]["children"]]
URL = "http://reddit.test/r/askreddit/new.json?limit=100&raw_json=1"


def crawl_page(
    engine, state: dict, max_pages: int = 10
) -> tuple[list[MentionItem], list[Request], RedditSpider]:
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url="http://reddit.test")
    table = Source.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == source_id).values(state=state))
    crawler = get_crawler(RedditSpider, {"BOUNCEBACK_MAX_PAGES": max_pages})
    spider = RedditSpider.from_crawler(crawler, source_id=source_id)
    out = list(spider.parse(TextResponse(URL, body=BODY, encoding="utf-8")))
    return [o for o in out if isinstance(o, MentionItem)], [o for o in out if isinstance(o, Request)], spider


def test_a_first_crawl_follows_the_next_page(engine):
    items, requests, spider = crawl_page(engine, {})
    assert len(items) == 100 and len(requests) == 1 and "after=t3_48f6io" in requests[0].url
    saved = spider.next_state()["streams"]["default"]
    assert saved["ids"][:2] == [CHILDREN[0]["name"], CHILDREN[1]["name"]] and len(saved["ids"]) == 100
    assert saved["newest"] == datetime.fromtimestamp(CHILDREN[0]["created_utc"], UTC).isoformat()


def test_paging_stops_when_the_oldest_item_of_the_page_was_already_seen(engine):
    _, requests, _ = crawl_page(engine, {"streams": {"default": {"ids": [CHILDREN[-1]["name"]]}}})
    assert requests == []


def test_a_known_item_higher_up_the_page_does_not_stop_paging(engine):
    _, requests, _ = crawl_page(engine, {"streams": {"default": {"ids": [CHILDREN[0]["name"]]}}})
    assert len(requests) == 1  # a pinned or bumped post is not the edge of what we saw


def test_paging_stops_at_items_older_than_the_newest_seen_before(engine):
    middle = datetime.fromtimestamp(CHILDREN[50]["created_utc"], UTC).isoformat()
    _, requests, spider = crawl_page(engine, {"streams": {"default": {"newest": middle, "ids": []}}})
    assert requests == []
    assert spider.next_state()["streams"]["default"]["newest"] > middle


def test_the_page_budget_ends_a_first_crawl(engine):
    _, requests, _ = crawl_page(engine, {}, max_pages=1)
    assert requests == []
