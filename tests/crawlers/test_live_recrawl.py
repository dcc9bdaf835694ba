"""A source that keeps publishing (the replay server's sample): re-crawls read only what is new."""

from __future__ import annotations

import pytest

from crawlers.replay import ReplayData, ReplayServer
from crawlers.sample import build_sample
from crawlers.sample.render_social import reddit_id
from tests.crawlers.conftest import add_source, mentions_by_id, run_crawl


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_recrawl_stores_what_appeared_since_and_stops_after_the_first_page(engine):
    data = ReplayData(build_sample(2000, 7), speed=1e-6)  # the sample's upcoming posts wait…
    server = ReplayServer(data).start_background()
    try:
        source_id = add_source(engine, "reddit", query="Northwind", base_url=server.url)
        first = run_crawl(source_id)
        assert first.returncode == 0, first.stderr[-2000:]
        assert first.summary["pages"] >= 3
        data.speed = 1e9  # … until now: they all appear at once (no race with the crawl's own timing)
        visible_before_second = {f"t3_{reddit_id(s.mention)}" for s in data.visible("reddit")}
        listing_requests = len([p for p in server.requests if p.startswith("/search.json")])

        second = run_crawl(source_id)
    finally:
        server.close()

    assert second.returncode == 0, second.stderr[-2000:]
    assert second.summary["new"] > 0 and second.summary["pages"] == 1
    assert len([p for p in server.requests if p.startswith("/search.json")]) == listing_requests + 1
    stored = mentions_by_id(engine, source_id)
    assert len(stored) == first.summary["new"] + second.summary["new"]
    assert visible_before_second <= set(stored)  # nothing published before the re-crawl is missing
