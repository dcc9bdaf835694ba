# ruff: noqa: RUF001  (real captured text: typographic quotes and full-width commas)
"""Feed spider on real RSS, Atom and JSON feeds (NetNewsWire's and feedjira's captures), through Scrapy
into SQLite and PostgreSQL: redirect links, odd encodings, lying extensions, conditional requests."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.crawlers.conftest import (
    Reply,
    add_source,
    crawl_run,
    mentions_by_id,
    run_crawl,
    run_crawls,
    source_row,
)

ATOM = "application/atom+xml"
RSS = "application/rss+xml"
ETAG = '"alerts-v1"'
MODIFIED = "Wed, 10 Jul 2019 11:53:37 GMT"


def test_google_alerts_links_are_unwrapped_and_an_unchanged_feed_is_a_quiet_304(engine, fixture_server):
    srv = fixture_server
    path = "/alerts/feeds/04175468913983673025/4428013283581841004"
    srv.route(
        path,
        Reply.file(
            "feed/google_alerts_atom_slack_2019.xml",
            content_type=ATOM,
            headers={"ETag": ETAG, "Last-Modified": MODIFIED},
        ),
        Reply(304, headers={"ETag": ETAG}),
    )
    source_id = add_source(engine, "feed", url=srv.url + path)

    first = run_crawl(source_id)
    second = run_crawl(source_id)

    assert first.returncode == 0, first.stderr[-2000:]
    assert (first.summary["status"], first.summary["new"], first.summary["errors"]) == ("ok", 20, 0)
    stored = mentions_by_id(engine, source_id)
    alert = stored["tag:google.com,2013:googlealerts/feed:13685523368333461374"]
    assert alert.title == "Slack Stock Has a Compelling Story and the Numbers to Back It Up"
    assert alert.url == "https://investorplace.com/2019/07/slack-stock-truly-compelling/"
    assert alert.text.startswith("In the run up to the IPO for Slack Technologies Inc (NYSE:WORK)")
    assert "'s decision to go public via" in alert.text and "<b>" not in alert.text
    assert alert.published_at == datetime(2019, 7, 10, 11, 46, 48, tzinfo=UTC)
    assert alert.author_id is None  # Google Alerts sends an empty <author><name>
    assert not any("google.com/url" in (m.url or "") or "<b>" in (m.title or "") for m in stored.values())

    assert second.returncode == 0, second.stderr[-2000:]
    assert (second.summary["status"], second.summary["pages"], second.summary["new"]) == ("ok", 1, 0)
    assert second.summary["errors"] == 0
    conditional = srv.hits(path)[1].headers
    assert conditional["If-None-Match"] == ETAG and conditional["If-Modified-Since"] == MODIFIED
    state = source_row(engine, source_id)
    assert state.state["etag"] == ETAG and state.consecutive_failures == 0
    assert len(mentions_by_id(engine, source_id)) == 20


def test_odd_encodings_lying_extensions_leading_whitespace_and_json_feed_are_all_read(engine, fixture_server):
    srv = fixture_server
    feeds = {
        "/kc0011.rss": Reply.file("feed/kc0011.rss", content_type=RSS),  # GB18030 (declared gb2312)
        "/aktuality.rss": Reply.file("feed/aktuality.rss", content_type=RSS),  # Slovak
        "/youtube.xml": Reply.file("feed/youtube_channel_atom.xml", content_type="text/xml; charset=utf-8"),
        "/inessential.json": Reply.file("feed/inessential.json", content_type="application/json"),
        "/df.rss": Reply.file("feed/DaringFireball.rss", content_type=RSS),  # Atom under an .rss name
        "/gnews.xml": Reply.file("feed/google_news_rss_legacy_2012.xml", content_type=RSS),
        "/not-a-feed": Reply.file("trustpilot/review_page_2024.html", content_type="text/html"),
    }
    for path, reply in feeds.items():
        srv.route(path, reply)
    ids = {path: add_source(engine, "feed", url=srv.url + path) for path in feeds}

    results = dict(zip(feeds, run_crawls(*ids.values()), strict=True))

    expected = {"/kc0011.rss": 20, "/aktuality.rss": 30, "/youtube.xml": 15, "/inessential.json": 20}
    expected |= {"/df.rss": 47, "/gnews.xml": 10}
    for path, count in expected.items():
        result = results[path]
        assert result.returncode == 0, (path, result.stderr[-2000:])
        assert (result.summary["new"], result.summary["errors"]) == (count, 0), path

    chinese = mentions_by_id(engine, ids["/kc0011.rss"])
    coin = chinese["http://www.kc0011.net/dispbbs.asp?BoardID=10&ID=25164257&Page=1"]
    assert coin.title == "建国35周年纪念，华表，和平鸽"
    assert coin.published_at == datetime(2020, 1, 10, 14, 33, tzinfo=UTC)  # "2020/1/10 14:33:00"
    assert coin.language == "zh"

    slovak = mentions_by_id(engine, ids["/aktuality.rss"])
    goldman = slovak[
        "https://www.aktuality.sk/clanok/856577/analytici-goldman-sachs-zvysili-odhad-rastu-ekonomiky-usa/"
    ]
    assert goldman.title == "Analytici Goldman Sachs zvýšili odhad rastu ekonomiky USA"
    assert goldman.language == "sk" and goldman.published_at == datetime(2021, 1, 17, 18, 27, tzinfo=UTC)

    video = mentions_by_id(engine, ids["/youtube.xml"])["yt:video:5shykyfmb28"]
    assert (video.title, video.url) == (
        "The Google app: Questions Title",
        "http://www.youtube.com/watch?v=5shykyfmb28",
    )
    assert video.author_name == "Google"

    post = mentions_by_id(engine, ids["/inessential.json"])[
        "http://inessential.com/2017/06/02/james_dempsey_and_the_breakpoints_benefi"
    ]
    assert post.title == "James Dempsey and the Breakpoints Benefit App Camp for Girls"
    assert post.text.startswith("On Wednesday night I know where I’ll be") and "<p>" not in post.text
    assert post.published_at == datetime(2017, 6, 3, 5, 5, 47, tzinfo=UTC)
    assert post.author_name == "Brent Simmons"

    daring = mentions_by_id(engine, ids["/df.rss"])["tag:daringfireball.net,2016:/linked//6.32173"]
    assert daring.title == "Apple Product Event: Monday March 21"
    assert daring.url.startswith("http://recode.net/2016/02/27/")

    news = mentions_by_id(engine, ids["/gnews.xml"])
    telegraph = next(m for m in news.values() if "telegraph.co.uk" in m.external_id)
    assert telegraph.url == (
        "http://www.telegraph.co.uk/news/worldnews/vladimir-putin/9125462/"
        "Russia-election-loser-outraged-as-Putin-loses-patience-with-protesters.html"
    )

    broken = results["/not-a-feed"]
    assert broken.returncode == 1 and broken.summary["status"] == "failed"
    error = crawl_run(engine, broken.summary["run_id"]).errors[0]
    assert error["kind"] == "layout" and error["reason"].startswith("not a readable feed")
