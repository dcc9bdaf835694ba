# ruff: noqa: RUF001  (real-looking review text: en dashes)
"""Google Play spider on answers shaped as google-play-scraper reads them (tests/crawlers/playsample.py says
why there is no capture), through Scrapy's downloader, middlewares and pipeline into SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import update

from bounceback.tables import Source
from crawlers.resume import make_pointer
from crawlers.sample.render_googleplay import rpc_answer
from crawlers.spiders.googleplay import GooglePlaySpider
from tests.conftest import REPO
from tests.crawlers import playsample as play
from tests.crawlers.conftest import (
    Reply,
    add_source,
    crawl_run,
    mentions_by_id,
    run_crawl,
    run_crawls,
    source_row,
)

RPC = "/_/PlayStoreUi/data/batchexecute"
PLAIN = "application/json+protobuf; charset=UTF-8"


def page(body: bytes) -> Reply:
    return Reply(200, body, content_type=PLAIN)


def serve_two_languages(srv) -> None:
    """English reviews on two pages (a token between them), German on one."""
    english = page(play.answer(play.PAGE_1, play.TOKEN)), page(play.answer(play.PAGE_2))
    srv.route(RPC, *english, query={"hl": "en"}, method="POST")
    srv.route(RPC, page(play.answer(play.PAGE_DE)), query={"hl": "de"}, method="POST")


def rpc_request(body: bytes) -> list:
    """The inner request of a POSTed ``f.req`` form (double-encoded like the answer)."""
    (freq,) = parse_qs(body.decode())["f.req"]
    return json.loads(json.loads(freq)[0][0][1])


def test_reads_reviews_of_two_languages_across_pages_then_a_recrawl_stops_at_seen_reviews(
    engine, fixture_server
):
    srv = fixture_server
    serve_two_languages(srv)
    source = add_source(
        engine, "googleplay", app_id=play.APP_ID, lang="en, de", country="GB", base_url=srv.url
    )

    result = run_crawl(source)

    assert result.returncode == 0, result.stderr[-2000:]
    summary = result.summary
    assert (summary["status"], summary["pages"], summary["new"], summary["parse_failures"]) == ("ok", 3, 6, 1)
    errors = crawl_run(engine, summary["run_id"]).errors
    assert [e["kind"] for e in errors] == ["parse"] and "rating 7 outside 1-5" in errors[0]["reason"]
    english = [r for r in srv.hits(RPC) if r.query["hl"] == ["en"]]
    assert [r.method for r in english] == ["POST", "POST"]
    assert all(r.query["gl"] == ["gb"] for r in srv.hits(RPC))
    first, second = (rpc_request(r.body) for r in english)
    assert first[1][:3] == [2, 2, [100]] and first[2] == [play.APP_ID, 7]  # newest first, 100 a page
    assert second[1][2] == [100, None, play.TOKEN]  # the continuation token was followed

    stored = mentions_by_id(engine, source)
    assert len(stored) == 6 and "gp:AOqpTOGx6badstars" not in stored
    chai = stored["gp:AOqpTOGx1northwindchai"]
    assert chai.text.startswith("Northwind chai arrived crushed AGAIN") and chai.text.endswith("😡")
    assert (chai.rating, chai.author_handle, chai.author_name) == (1.0, "Dana Whitfield", "Dana Whitfield")
    assert chai.published_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert chai.engagement == {"likes": 41}
    assert (
        chai.url
        == f"https://play.google.com/store/apps/details?id={play.APP_ID}&reviewId=gp%3AAOqpTOGx1northwindchai"
    )
    assert chai.extra == {"lang": "en", "country": "gb", "app_version": "4.2.0"}
    assert chai.raw_ref.endswith("#en/review/gp:AOqpTOGx1northwindchai")
    hostile = stored["gp:AOqpTOGx2<script>alert(1)</script>"]  # kept verbatim: escaping is the display's job
    assert hostile.author_handle == "<b>Mallory</b>" and 'onerror="alert(1)"' in hostile.text
    assert "<script>" not in hostile.url and "%3Cscript%3E" in hostile.url
    anonymous = stored["gp:AOqpTOGx3anonymous"]
    assert (anonymous.author_handle, anonymous.author_name, anonymous.author_id) == (None, None, None)
    assert "app_version" not in anonymous.extra
    replied = stored["gp:AOqpTOGx4reply"]
    assert replied.extra["company_reply"] == {
        "text": "Sorry Sam, we refunded the second charge. – Northwind Care",
        "published_at": "2026-11-20T06:30:00+00:00",
    }
    assert (stored["gp:AOqpTOGx5ratingonly"].text, stored["gp:AOqpTOGx5ratingonly"].rating) == ("", 5.0)
    german = stored["gp:AOqpTOGxde1"]
    assert german.author_handle == "Jürgen Groß" and "ärgerlich" in german.text
    assert german.extra["lang"] == "de" and german.extra["app_version"] == "4.1.9"

    srv.reset()
    serve_two_languages(srv)
    again = run_crawl(source)

    assert again.returncode == 0, again.stderr[-2000:]
    assert (again.summary["new"], again.summary["unchanged"], again.summary["pages"]) == (0, 4, 2)
    assert len(srv.hits(RPC)) == 2  # page 1 of each language: its oldest review was already seen
    assert len(mentions_by_id(engine, source)) == 6


def test_a_playgatewayerror_in_a_200_is_retried_and_one_that_persists_fails_the_crawl(engine, fixture_server):
    srv = fixture_server
    srv.route(
        RPC, page(play.GATEWAY_ERROR), page(play.answer(play.PAGE_1)), query={"hl": "en"}, method="POST"
    )
    srv.route(RPC, page(play.GATEWAY_ERROR), query={"hl": "fr"}, method="POST")
    passing = add_source(engine, "googleplay", app_id=play.APP_ID, base_url=srv.url)
    refused = add_source(engine, "googleplay", app_id=play.APP_ID, lang="fr", base_url=srv.url)

    ok, failed = run_crawls(passing, refused)

    assert ok.returncode == 0, ok.stderr[-2000:]
    assert (ok.summary["status"], ok.summary["new"], ok.summary["errors"]) == ("ok", 3, 0)
    assert len([r for r in srv.hits(RPC) if r.query["hl"] == ["en"]]) == 2
    assert len(mentions_by_id(engine, passing)) == 3
    assert (failed.returncode, failed.summary["status"], failed.summary["new"]) == (1, "failed", 0)
    assert len([r for r in srv.hits(RPC) if r.query["hl"] == ["fr"]]) == 4  # 1 + 3 retries
    (error,) = crawl_run(engine, failed.summary["run_id"]).errors
    assert error["kind"] == "http" and "PlayGatewayError" in error["reason"]
    assert "PlayGatewayError" in source_row(engine, refused).last_error


def test_an_unknown_app_and_a_page_that_is_not_the_rpc_answer_are_reported_not_silent(engine, fixture_server):
    srv = fixture_server
    srv.route(RPC, page(play.error_answer(3)), query={"hl": "en"}, method="POST")
    srv.route(
        RPC,
        Reply(200, b"<html><body>Sign in</body></html>", content_type="text/html"),
        query={"hl": "fr"},
        method="POST",
    )
    unknown = add_source(engine, "googleplay", app_id="com.northwind.nosuchapp", base_url=srv.url)
    changed = add_source(engine, "googleplay", app_id=play.APP_ID, lang="fr", base_url=srv.url)

    results = run_crawls(unknown, changed)

    reasons = []
    for result in results:
        assert (result.returncode, result.summary["status"], result.summary["new"]) == (1, "failed", 0)
        (error,) = crawl_run(engine, result.summary["run_id"]).errors
        assert error["kind"] == "layout"
        reasons.append(error["reason"])
    assert "no review data (error [3])" in reasons[0] and "app id" in reasons[0]
    assert "not a batchexecute answer" in reasons[1]


def test_robots_txt_disallow_and_a_bad_app_id_mean_no_request(engine, fixture_server):
    srv = fixture_server
    srv.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /_/\n", content_type="text/plain"))
    disallowed = add_source(engine, "googleplay", app_id=play.APP_ID, base_url=srv.url)
    bad_id = add_source(engine, "googleplay", app_id="../../admin?x=1", base_url=srv.url)

    robots, config = run_crawls(disallowed, bad_id)

    assert srv.hits("/robots.txt") and not srv.hits(RPC)
    assert robots.summary["status"] == "failed" and config.summary["status"] == "failed"
    robots_error = crawl_run(engine, robots.summary["run_id"]).errors[0]
    assert robots_error["kind"] == "robots" and "robots.txt" in robots_error["reason"]
    config_error = crawl_run(engine, config.summary["run_id"]).errors[0]
    assert config_error["kind"] == "config" and "invalid app id '../../admin?x=1'" in config_error["reason"]


def _tls_default_after(statement: str) -> str:
    code = f"import ssl\n{statement}\nprint(ssl._create_default_https_context is ssl.create_default_context)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return proc.stdout.strip()


def test_importing_the_spider_keeps_tls_certificate_checks_on_where_the_package_alone_turns_them_off():
    assert _tls_default_after("import google_play_scraper") == "False"
    assert _tls_default_after("import crawlers.spiders.googleplay") == "True"


def test_without_the_extra_the_source_kind_says_what_to_install(monkeypatch):
    from bounceback.errors import InvalidInput
    from crawlers.spiders import spider_class

    for name in ["google_play_scraper", *(m for m in sys.modules if m.startswith("google_play_scraper."))]:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed (imported or not before)
    monkeypatch.delitem(sys.modules, "crawlers.spiders.googleplay", raising=False)
    with pytest.raises(InvalidInput, match=r"pip install 'bounceback\[googleplay\]'"):
        spider_class("googleplay")


def test_sample_is_read_by_google_play_scraper_itself(monkeypatch):
    """The samples are shaped as the package parses real answers: its own reader gets the same reviews."""
    from google_play_scraper import reviews
    from google_play_scraper.features import reviews as package

    answers = iter([play.answer(play.PAGE_1, play.TOKEN), play.answer(play.PAGE_2)])
    bodies: list[bytes] = []

    def post(url: str, data: bytes, headers: dict) -> str:  # the package's HTTP call, answered locally
        bodies.append(data)
        return next(answers).decode()

    monkeypatch.setattr(package, "post", post)
    got, token = reviews(play.APP_ID, count=10)

    assert [r["reviewId"] for r in got] == [r[0] for r in play.PAGE_1 + play.PAGE_2]
    assert [r["score"] for r in got] == [1, 2, 4, 2, 5, 7]
    assert got[0]["content"] == play.PAGE_1[0][4] and got[0]["thumbsUpCount"] == 41
    assert got[3]["replyContent"].startswith("Sorry Sam") and got[0]["appVersion"] == "4.2.0"
    assert got[0]["at"].timestamp() == play.T0
    assert token.token is None  # the last page carries no token for the package either
    assert play.TOKEN.encode() in bodies[1]


def _play_spider(engine, state: dict) -> GooglePlaySpider:
    source_id = add_source(engine, "googleplay", app_id=play.APP_ID, base_url="http://play.test")
    table = Source.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == source_id).values(state=state))
    crawler = get_crawler(GooglePlaySpider, {"BOUNCEBACK_MAX_PAGES": 1})
    return GooglePlaySpider.from_crawler(crawler, source_id=source_id)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_page_budget_gap_resumes_with_the_same_post_body_and_a_plain_post_is_never_resumed(engine):
    seen = datetime.fromtimestamp(play.T0 - 86400, UTC).isoformat()  # an earlier crawl saw up to a day ago
    spider = _play_spider(engine, {"streams": {"en": {"newest": seen, "ids": ["gp:old"]}}})
    first = spider.page_request("en")
    response = TextResponse(first.url, body=play.answer(play.PAGE_1, play.TOKEN), request=first)
    out = list(spider.parse(response, lang="en"))
    assert not [o for o in out if isinstance(o, Request)]  # the budget (1 page) stopped the chain
    assert [e["kind"] for e in spider.report.errors] == ["budget"]
    (pointer,) = spider.next_state()["resume"]
    assert pointer["method"] == "POST" and play.TOKEN in pointer["body"]
    assert pointer["content_type"].startswith("application/x-www-form-urlencoded")

    later = _play_spider(engine, {"resume": [pointer]})

    async def start() -> list[Request]:
        return [r async for r in later.start()]

    requests = asyncio.run(start())
    resumed = requests[-1]
    assert (resumed.method, resumed.url, resumed.meta["bb_resume"]) == ("POST", first.url, 0)
    assert rpc_request(resumed.body)[1][2] == [100, None, play.TOKEN]
    assert resumed.headers[b"Content-Type"].startswith(b"application/x-www-form-urlencoded")
    assert resumed.cb_kwargs == {"lang": "en", "token": play.TOKEN}

    plain = Request("http://play.test/rpc", method="POST", body=b"password=s3cr3t", callback=later.parse)
    with pytest.raises(ValueError, match="cannot be resumed"):
        make_pointer(plain, "en", None, [])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("payload", [[], None, [[], None]])
def test_a_language_without_reviews_is_an_empty_page_not_a_layout_error(engine, payload):
    spider = _play_spider(engine, {})
    request = spider.page_request("ja")
    body = rpc_answer(payload)
    out = list(spider.parse(TextResponse(request.url, body=body, request=request), lang="ja"))
    assert out == [] and spider.report.errors == [] and spider.report.pages == 1
