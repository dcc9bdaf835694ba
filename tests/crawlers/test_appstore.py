# ruff: noqa: RUF001  (real captured text: typographic quotes and full-width commas)
"""App Store spider on real customer-review feeds (RSS as JSON), through Scrapy into SQLite and PostgreSQL.

One capture is served derived: no public capture has a one-entry feed, which Apple sends with ``entry``
as an object (PROVENANCE.md of the appstore fixtures); the test turns the real 3-entry feed
``mishavyb_2.json`` into that shape by keeping its first entry as an object.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.crawlers.conftest import (
    FIXTURES,
    Reply,
    add_source,
    crawl_run,
    mentions_by_id,
    run_crawl,
    run_crawls,
)

APP = "389801252"


def feed_path(country: str, page: int, app: str = APP) -> str:
    return f"/{country}/rss/customerreviews/page={page}/id={app}/sortby=mostrecent/json"


def test_pages_through_each_country_keeping_star_ratings_until_apple_page_limit(engine, fixture_server):
    srv = fixture_server
    srv.route(feed_path("us", 1), Reply.file("appstore/mishavyb_389801252.json"))
    srv.route(feed_path("us", 2), Reply.file("appstore/mishavyb_2.json"))  # 3 entries: the last page
    srv.route(feed_path("fr", 1), Reply.file("appstore/jcoynel_497799835_fr_1.json"))
    srv.route(feed_path("fr", 2), Reply.file("appstore/jcoynel_497799835_cn_5.json"))
    srv.route(
        feed_path("fr", 3),
        Reply.file("appstore/jcoynel_555731861_us_11_page_limit.txt", status=400, content_type="text/plain"),
    )
    source_id = add_source(engine, "appstore", app_id=APP, country="us, fr", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    summary = result.summary
    assert (summary["status"], summary["pages"], summary["new"], summary["errors"]) == ("ok", 4, 153, 0)
    assert [len(srv.hits(feed_path(c, p))) for c, p in [("us", 1), ("us", 2), ("us", 3)]] == [1, 1, 0]
    assert [len(srv.hits(feed_path("fr", p))) for p in (1, 2, 3, 4)] == [1, 1, 1, 0]

    stored = mentions_by_id(engine, source_id)
    assert len(stored) == 153
    review = stored["13197352979"]
    assert review.title == "Irritating"
    assert review.text.startswith("So I’ve had my account for around a few years now")
    assert review.text.endswith("love the app but fix this please")
    assert review.rating == 3.0
    assert review.author_handle == "Maximum_es"
    assert review.author_url == "https://itunes.apple.com/us/reviews/id1837485306"
    assert review.published_at == datetime(2025, 9, 28, 18, 55, 46, tzinfo=UTC)
    assert review.url == f"https://apps.apple.com/us/app/id{APP}?see-all=reviews#review-13197352979"
    assert review.raw_ref == srv.url + feed_path("us", 1) + "#review-13197352979"
    assert review.engagement == {"likes": 0, "score": 0}

    french = stored["6918761820"]
    assert (french.title, french.rating, french.author_handle) == (
        "Superbe application...",
        4.0,
        "Fouinneur@",
    )
    assert "réalitée" in french.text
    chinese = [m for m in stored.values() if any("\u4e00" <= ch <= "\u9fff" for ch in m.text)]
    assert len(chinese) > 20, "page 2 (the Chinese store capture) was stored"
    assert all(1 <= m.rating <= 5 for m in stored.values())


def _one_entry_as_object() -> bytes:
    feed = json.loads((FIXTURES / "appstore/mishavyb_2.json").read_text())
    feed["feed"]["entry"] = feed["feed"]["entry"][0]
    return json.dumps(feed).encode()


def test_lone_entry_objects_empty_pages_and_invalid_feeds_are_stored_or_recorded_not_crashing(
    engine, fixture_server
):
    srv = fixture_server
    srv.route(feed_path("gb", 1), Reply(body=_one_entry_as_object()))
    srv.route(feed_path("us", 1), Reply.file("appstore/jcoynel_invalid_rating.json"))
    srv.route(feed_path("nz", 1), Reply.file("appstore/jcoynel_empty_page.json"))
    srv.route(feed_path("ca", 1), Reply.file("appstore/jcoynel_invalid_links.json"))
    srv.route(feed_path("au", 1), Reply.file("appstore/jcoynel_invalid_entry_author_uri.json"))
    mixed = add_source(engine, "appstore", app_id=APP, country="gb,us,nz", base_url=srv.url)
    links = add_source(engine, "appstore", app_id=APP, country="ca", base_url=srv.url)
    author = add_source(engine, "appstore", app_id=APP, country="au", base_url=srv.url)

    results = run_crawls(mixed, links, author)

    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.summary["status"] == "ok"
    first, second, third = (r.summary for r in results)
    assert (first["pages"], first["new"], first["parse_failures"]) == (3, 2, 1)
    lone = mentions_by_id(engine, mixed)["1"]
    assert (lone.title, lone.text, lone.rating, lone.author_handle) == (
        "TEST_TITLE",
        "TEST_CONTENT",
        3.0,
        "TEST_USER_1",
    )
    unrated = mentions_by_id(engine, mixed)["6091772301"]
    assert unrated.rating is None and unrated.text == "Beautiful app for travellers with wanderlust."
    errors = crawl_run(engine, first["run_id"]).errors
    assert [e["kind"] for e in errors] == ["parse"]
    assert "review 6091772301: invalid rating ''" in errors[0]["reason"]

    assert (second["new"], second["parse_failures"]) == (1, 1)  # rating "0" and no self/alternate links
    assert mentions_by_id(engine, links)["6091772301"].rating is None

    by_author = mentions_by_id(engine, author)
    assert (third["new"], third["errors"]) == (2, 0)
    # the entry whose author URI is empty is kept (its author row is shared with the other feeds here)
    assert by_author["6091772301"].text == "Beautiful app for travellers with wanderlust."
    assert by_author["6108405527"].author_url == "https://itunes.apple.com/gb/reviews/id1181261973"
