"""Every demo source crawled from the replay server by the real spiders, into SQLite and PostgreSQL."""

from __future__ import annotations

import time

from bounceback.sources import add_source
from bounceback.tables import SourceCreate
from crawlers.replay import ReplayData, ReplayServer, demo_sources
from crawlers.sample import build_sample
from tests.crawlers.conftest import mentions_by_id, rows, run_crawl, run_crawls, source_row


def test_each_demo_source_stores_the_sample_it_serves(engine):
    frozen = time.time()
    data = ReplayData(build_sample(300, 7), clock=lambda: frozen)  # nothing new appears mid-test
    server = ReplayServer(data).start_background()
    try:
        sources = {
            spec["name"]: add_source(SourceCreate(**spec), engine=engine).id
            for spec in demo_sources(server.url)
        }
        results = dict(zip(sources, run_crawls(*sources.values()), strict=True))
        again = run_crawl(sources["northwind-shop-gift-card"])  # RDFa blank-node ids must not leak
    finally:
        server.close()

    for name, result in results.items():
        assert result.returncode == 0, (name, result.stderr[-2000:])
        assert result.summary["status"] == "ok" and result.summary["errors"] == 0, (name, result.summary)
        assert result.summary["new"] > 0, name
    visible = {p: len(data.visible(p)) for p in data.sample.by_platform}
    stored = {name: len(mentions_by_id(engine, sid)) for name, sid in sources.items()}
    assert visible["reddit"] < len(data.sample.by_platform["reddit"]), "upcoming posts are not served yet"
    for name, platform in [
        ("northwind-reddit", "reddit"),
        ("northwind-hn", "hackernews"),
        ("northwind-mastodon", "mastodon"),
        ("northwind-bluesky", "bluesky"),
        ("northwind-appstore", "appstore"),
        ("northwind-googleplay", "googleplay"),
        ("northwind-trustpilot", "trustpilot"),
    ]:
        assert stored[name] == visible[platform], name
    shops = ("northwind-shop-house-blend", "northwind-shop-travel-mug", "northwind-shop-gift-card")
    assert sum(stored[name] for name in shops) == visible["schemaorg"]
    assert stored["northwind-feed-alerts"] + stored["northwind-feed-news"] == visible["feed"]
    assert 0 < stored["northwind-mastodon-tag"] < stored["northwind-mastodon"]
    assert results["northwind-trustpilot"].summary["pages"] >= 2, "Trustpilot pagination followed"

    # one angry customer on three platforms, found by name
    authors = rows(
        engine,
        "SELECT a.platform, a.handle, a.display_name FROM author a WHERE a.handle = 'mkowalski' "
        "OR a.display_name = 'Maria Kowalski' ORDER BY a.platform",
    )
    assert {a.platform for a in authors} == {"reddit", "mastodon", "trustpilot"}

    # hostile text is stored (NUL stripped, everything else verbatim), to be escaped where shown
    hostile = rows(engine, "SELECT text FROM mention WHERE text LIKE '%zero-width and bidi%'")
    assert hostile and "\x00" not in hostile[0].text and "\u202e" in hostile[0].text
    slack = rows(engine, "SELECT text FROM mention WHERE text LIKE '%<!channel> <!here>%'")
    assert slack and all("<@U024BE7LH> Northwind Coffee *charged me twice*" in r.text for r in slack)
    header = rows(engine, "SELECT title FROM mention WHERE title LIKE '%Bcc: everyone@example.org'")
    assert header and "\n" in header[0].title  # kept as sent; emails and Slack escape it

    # the Google Alerts redirect links were unwrapped, ratings kept on the review sites
    feed = mentions_by_id(engine, sources["northwind-feed-alerts"])
    assert all(m.url.startswith("https://news") and "<b>" not in (m.title or "") for m in feed.values())
    ratings = {m.rating for m in mentions_by_id(engine, sources["northwind-appstore"]).values()}
    assert ratings <= {1.0, 2.0, 3.0, 4.0, 5.0} and 1.0 in ratings and 5.0 in ratings
    mug = mentions_by_id(engine, sources["northwind-shop-travel-mug"]).values()
    assert {m.rating for m in mug} <= {1.0, 2.0, 3.0, 4.0, 5.0}, "0-10 microdata ratings mapped back to stars"
    cards = mentions_by_id(engine, sources["northwind-shop-gift-card"]).values()  # RDFa
    assert cards and all(m.author_name and m.rating and m.title and m.text for m in cards)
    assert (again.summary["new"], again.summary["unchanged"]) == (0, len(cards))


def test_mentions_that_appear_later_are_picked_up_and_engagement_growth_is_recorded(engine):
    now = [time.time()]
    data = ReplayData(build_sample(300, 7), clock=lambda: now[0])
    server = ReplayServer(data).start_background()
    try:
        spec = next(s for s in demo_sources(server.url) if s["kind"] == "bluesky")
        source_id = add_source(SourceCreate(**spec), engine=engine).id
        first = run_crawl(source_id)
        now[0] += 3600  # an hour later: every upcoming post is out, engagement has grown
        total = len(data.sample.by_platform["bluesky"])
        assert len(data.visible("bluesky")) == total
        second = run_crawl(source_id)
    finally:
        server.close()

    assert first.returncode == 0 and second.returncode == 0, second.stderr[-2000:]
    assert first.summary["new"] < total
    assert second.summary["new"] == total - first.summary["new"]
    assert second.summary["updated"] > 0, "engagement grew on already-stored posts"
    assert len(mentions_by_id(engine, source_id)) == total
    snapshots = rows(engine, "SELECT count(*) AS n FROM engagementsnapshot")[0].n
    assert snapshots > total
    assert source_row(engine, source_id).last_success_at is not None
