"""The sources that crawl a replay server: what `bounceback demo`, the tests and the benchmarks register."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from crawlers.sample import render_googleplay as gp
from crawlers.sample import render_reviews as rr
from crawlers.sample.generate import APP_COUNTRIES, FEEDS, PRODUCTS, TAG
from crawlers.sample.texts import FOREIGN

MASTODON_INSTANCE = "mastodon.example"
LANGUAGES = sorted({"en"} | {lang for by_lang in FOREIGN.values() for lang in by_lang})


def demo_sources(base_url: str) -> list[dict[str, Any]]:
    """The sources that crawl a replay server at ``base_url`` (for bounceback.sources.add_source)."""
    base = base_url.rstrip("/")
    every = 300
    sources: list[dict[str, Any]] = [
        {"kind": "reddit", "name": "northwind-reddit", "params": {"query": "Northwind", "base_url": base}},
        {"kind": "hackernews", "name": "northwind-hn", "params": {"query": "Northwind", "base_url": base}},
        {
            "kind": "mastodon",
            "name": "northwind-mastodon",
            "params": {"instance": MASTODON_INSTANCE, "query": "Northwind", "base_url": base},
        },
        {
            "kind": "mastodon",
            "name": "northwind-mastodon-tag",
            "params": {"instance": MASTODON_INSTANCE, "tag": TAG, "base_url": base},
        },
        {"kind": "bluesky", "name": "northwind-bluesky", "params": {"query": "Northwind", "base_url": base}},
        {
            "kind": "appstore",
            "name": "northwind-appstore",
            "params": {"app_id": rr.APP_ID, "country": ",".join(APP_COUNTRIES), "base_url": base},
        },
        {
            "kind": "googleplay",
            "name": "northwind-googleplay",
            "params": {"app_id": gp.PLAY_APP_ID, "lang": ",".join(LANGUAGES), "base_url": base},
        },
        {
            "kind": "trustpilot",
            "name": "northwind-trustpilot",
            "params": {"company": rr.COMPANY, "base_url": base},
        },
    ]
    sources += [
        {"kind": "schemaorg", "name": f"northwind-shop-{p}", "params": {"url": f"{base}/shop/products/{p}"}}
        for p in PRODUCTS
    ]
    feed_paths = {"alerts": "/alerts/feeds/1/1", "news": "/news/feed.xml"}
    sources += [
        {"kind": "feed", "name": f"northwind-feed-{f}", "params": {"url": base + feed_paths[f]}}
        for f in FEEDS
    ]
    if find_spec("google_play_scraper") is None:  # the optional extra is not installed
        sources = [s for s in sources if s["kind"] != "googleplay"]
    for source in sources:
        source["interval_seconds"] = every
    return sources
