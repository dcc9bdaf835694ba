"""The replay server serves the Northwind Coffee sample in every source format, over real HTTP."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import extruct
import feedparser
import pytest

from crawlers.replay import ReplayData, ReplayServer, demo_sources, start_replay
from crawlers.sample import build_sample
from crawlers.sample.render_googleplay import PLAY_APP_ID
from crawlers.sample.render_reviews import APP_ID, COMPANY
from crawlers.spiders.googleplay import PROTOCOL
from tests.crawlers.playsample import rpc_payload_of


@pytest.fixture(scope="module")
def replay():
    server = start_replay(300, seed=7)
    yield server
    server.close()


def get(server, path, headers=None):
    request = urllib.request.Request(server.url + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_same_seed_gives_the_same_sample_and_another_seed_does_not():
    one, two, other = build_sample(300, 7), build_sample(300, 7), build_sample(300, 8)
    texts = [(m.platform, m.text, m.offset) for m in one.all()]
    assert texts == [(m.platform, m.text, m.offset) for m in two.all()]
    assert texts != [(m.platform, m.text, m.offset) for m in other.all()]


def test_sample_tells_the_care_team_story():
    sample = build_sample(300, 7)
    mentions = sample.all()
    categories = Counter(m.category for m in mentions)
    assert len(mentions) == 300
    assert all(sample.by_platform[p] for p in sample.by_platform)
    assert categories["outage"] >= 12 and categories["praise"] > 50 and categories["question"] > 20
    for needed in ("safety", "legal", "data_leak", "offtopic"):
        assert categories[needed] >= 1, needed
    outage = sorted(m.offset for m in mentions if m.category == "outage")
    assert outage[-1] - outage[0] <= 3600, "the outage complaints fall within one hour (one incident)"
    angry = {m.platform for m in mentions if m.author.handle == "mkowalski"}
    assert angry == {"reddit", "trustpilot", "mastodon"}
    assert {"de", "fr", "es"} <= {m.language for m in mentions}
    joined = " ".join(m.title + m.text for m in mentions)
    for hostile in ("<script>", "<!channel>", "\r\n", "\u202e", "😡"):
        assert hostile in joined, hostile
    assert any(m.offset > 0 for m in mentions), "some mentions are still to come"


def test_sample_scales_to_ten_thousand_mentions_quickly():
    started = time.perf_counter()
    sample = build_sample(10_000, 7)
    assert len(sample.all()) == 10_000
    assert time.perf_counter() - started < 10


def test_upcoming_mentions_stay_hidden_until_their_time_and_engagement_grows():
    data = ReplayData(build_sample(300, 7), start=1_000_000.0, speed=10.0)
    at_start = data.visible("bluesky", now=1_000_000.0)
    later = data.visible("bluesky", now=1_000_000.0 + 1800 / 10 + 1)
    assert len(later) > len(at_start)
    assert all(s.published.timestamp() <= 1_000_000.0 for s in at_start)
    viral = next(s for s in at_start if s.mention.author.handle == "jules.bsky.social")
    viral_later = next(s for s in later if s.mention.author.handle == "jules.bsky.social")
    assert (
        viral_later.mention.engagement(viral_later.hours)["likes"]
        > viral.mention.engagement(viral.hours)["likes"]
    )


def test_robots_txt_allows_everything(replay):
    status, _, body = get(replay, "/robots.txt")
    assert status == 200 and body == b"User-agent: *\nAllow: /\n"


def test_reddit_search_pages_by_after_cursor_through_every_match(replay):
    seen, after = [], ""
    for _ in range(20):
        status, _, body = get(replay, f"/search.json?q=Northwind&sort=new&limit=25&after={after}")
        listing = json.loads(body)
        assert status == 200 and listing["kind"] == "Listing"
        seen += [c["data"]["id"] for c in listing["data"]["children"]]
        after = listing["data"]["after"]
        if not after:
            break
    assert len(seen) == len(set(seen)) > 25
    first = json.loads(get(replay, "/search.json?q=Northwind&limit=1")[2])["data"]["children"][0]["data"]
    assert first["permalink"].startswith("/r/") and first["created_utc"] > 0 and first["author"]


def test_reddit_atom_feeds_page_by_the_last_entry_id_and_list_the_brand_subreddit_first(replay):
    status, headers, body = get(replay, "/search.rss?q=Northwind&sort=new&limit=10")
    feed = feedparser.parse(body)
    assert status == 200 and headers["Content-Type"] == "application/atom+xml; charset=UTF-8"
    assert not feed.bozo and feed.version == "atom10"
    assert feed.feed.title == "reddit.com: search results - Northwind"
    ids = [e.id for e in feed.entries]
    assert ids[0].startswith("t5_") and len(ids) == 11 and all(i.startswith("t3_") for i in ids[1:])
    post = feed.entries[1]
    assert post.author.startswith("/u/") and post.tags[0].term and post.published == post.updated
    assert "&#32; submitted by &#32;" in post.content[0].value and post.link.startswith(
        "https://www.reddit.com/r/"
    )
    after = feedparser.parse(get(replay, f"/search.rss?q=Northwind&sort=new&limit=10&after={ids[-1]}")[2])
    assert after.entries[0].id.startswith("t3_") and not {e.id for e in after.entries} & set(ids)
    listing = feedparser.parse(get(replay, "/r/Coffee/new/.rss")[2])
    assert listing.feed.title == "newest submissions : Coffee" and len(listing.entries) == 15
    assert all(e.tags[0].term == "Coffee" and e.id.startswith("t3_") for e in listing.entries)


def test_hackernews_search_by_date_pages_with_numeric_filters(replay):
    page1 = json.loads(get(replay, "/api/v1/search_by_date?query=Northwind&hitsPerPage=5")[2])
    assert len(page1["hits"]) == 5 and page1["nbHits"] > 5
    last = page1["hits"][-1]["created_at_i"]
    page2 = json.loads(
        get(
            replay, f"/api/v1/search_by_date?query=Northwind&hitsPerPage=5&numericFilters=created_at_i<{last}"
        )[2]
    )
    assert all(h["created_at_i"] < last for h in page2["hits"])
    assert {h["objectID"] for h in page1["hits"]}.isdisjoint(h["objectID"] for h in page2["hits"])


def test_mastodon_tag_timeline_link_header_reaches_every_tagged_status(replay):
    url, ids = "/api/v1/timelines/tag/northwindcoffee?limit=5", []
    while url:
        _status, headers, body = get(replay, url)
        statuses = json.loads(body)
        ids += [s["id"] for s in statuses]
        match = re.search(r'<([^>]+)>; rel="next"', headers.get("Link") or "")
        url = match.group(1).removeprefix(replay.url) if statuses and match else ""
    assert len(ids) == len(set(ids)) > 5
    assert ids == sorted(ids, key=int, reverse=True)
    search = json.loads(get(replay, "/api/v2/search?q=Northwind&type=statuses&limit=20")[2])
    assert search["accounts"] == [] and len(search["statuses"]) == 20
    assert search["statuses"][0]["content"].startswith("<p>")


def test_bluesky_search_posts_pages_by_cursor(replay):
    body = json.loads(get(replay, "/xrpc/app.bsky.feed.searchPosts?q=Northwind&limit=10")[2])
    assert len(body["posts"]) == 10 and body["cursor"] == "10" and body["hitsTotal"] > 10
    post = body["posts"][0]
    assert post["uri"].startswith("at://did:plc:") and post["record"]["text"]


def test_appstore_feed_pages_and_refuses_page_eleven_in_plain_text(replay):
    body = json.loads(get(replay, f"/us/rss/customerreviews/page=1/id={APP_ID}/sortby=mostrecent/json")[2])
    entries = body["feed"]["entry"]
    entries = entries if isinstance(entries, list) else [entries]
    assert entries and all(1 <= int(e["im:rating"]["label"]) <= 5 for e in entries)
    status, _, text = get(replay, f"/us/rss/customerreviews/page=11/id={APP_ID}/sortby=mostrecent/json")
    assert status == 400 and text == b"CustomerReviews RSS page depth is limited to 10"
    unknown = json.loads(get(replay, "/us/rss/customerreviews/page=1/id=1/sortby=mostrecent/json")[2])
    assert "entry" not in unknown["feed"]


def test_googleplay_rpc_pages_by_token_per_language_and_knows_no_other_app(replay):
    def ask(app_id: str, token: str | None, lang: str = "en") -> Any:
        body = PROTOCOL.reviews.build_body(app_id, 2, 10, "null", "null", token)
        request = urllib.request.Request(
            f"{replay.url}/_/PlayStoreUi/data/batchexecute?hl={lang}&gl=us", data=body, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return rpc_payload_of(response.read())

    first = ask(PLAY_APP_ID, None)
    assert len(first[0]) == 10 and first[1][1] == "10"
    second = ask(PLAY_APP_ID, first[1][1])
    assert {r[0] for r in first[0]}.isdisjoint(r[0] for r in second[0])
    assert all(1 <= r[2] <= 5 and r[4] and r[5][0] > 0 for r in first[0] + second[0])
    assert [r[5][0] for r in first[0]] == sorted((r[5][0] for r in first[0]), reverse=True)  # newest first
    assert ask("com.example.other", None) is None


def test_trustpilot_page_embeds_reviews_in_next_data(replay):
    status, _, page = get(replay, f"/review/{COMPANY}?page=1")
    match = re.search(rb'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', page, re.S)
    props = json.loads(match.group(1))["props"]["pageProps"]
    assert status == 200 and 0 < len(props["reviews"]) <= 20
    assert props["filters"]["pagination"]["totalCount"] >= len(props["reviews"])
    assert get(replay, "/review/unknown.example")[0] == 404


@pytest.mark.parametrize(
    ("product", "syntax"), [("house-blend", "json-ld"), ("travel-mug", "microdata"), ("gift-card", "rdfa")]
)
def test_shop_pages_carry_schema_org_reviews(replay, product, syntax):
    page = get(replay, f"/shop/products/{product}")[2].decode()
    data = extruct.extract(page, syntaxes=[syntax], uniform=True)[syntax]
    if syntax == "rdfa":  # extruct flattens RDFa: one node per typed element
        types = {str(t).rsplit("/", 1)[-1] for d in data for t in (d.get("@type") or [])}
        assert {"Product", "Review", "AggregateRating", "Rating", "Person"} <= types
    else:
        product = next(d for d in data if d.get("@type") == "Product")
        assert product["review"] and product["aggregateRating"]


@pytest.mark.parametrize("path", ["/alerts/feeds/1/1", "/news/feed.xml"])
def test_feeds_parse_and_answer_304_when_unchanged(replay, path):
    status, headers, body = get(replay, path)
    parsed = feedparser.parse(body)
    assert status == 200 and not parsed.bozo and parsed.entries
    assert get(replay, path, {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(replay, path, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(replay, path, {"If-None-Match": '"stale"'})[0] == 200


def test_demo_sources_cover_every_format_and_validate():
    from bounceback.sources import validate_source
    from bounceback.tables import SourceCreate

    sources = demo_sources("http://127.0.0.1:9")
    assert {s["kind"] for s in sources} == {
        "reddit", "hackernews", "mastodon", "bluesky", "appstore", "googleplay", "trustpilot", "schemaorg",
        "feed",
    }  # fmt: skip
    for source in sources:
        validate_source(SourceCreate(**source))


def test_server_on_port_zero_reports_its_real_port():
    server = ReplayServer(ReplayData(build_sample(60, 1)))
    try:
        assert not server.url.endswith(":0")
    finally:
        server.server_close()
