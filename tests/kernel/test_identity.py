"""The canonical identity of a mention (bounceback.identity): one post through two sources, one identity."""

import json

import pytest

from bounceback.identity import identity_hash, mention_identity, normalise_url
from tests.conftest import FIXTURES

REDDIT = "https://www.reddit.com"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://WWW.Example.COM:443/r/x/Comments/abc/", "https://www.example.com/r/x/Comments/abc"),
        ("http://example.com:80/a/?b=2&a=1", "http://example.com/a?a=1&b=2"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a?utm_source=x&utm_Medium=y&id=7&fbclid=z", "https://example.com/a?id=7"),
        ("https://forum.example/t/1/?ref=search_posts&page=2", "https://forum.example/t/1?page=2"),
        (
            "https://www.reddit.com/r/x/comments/abc/slug/?ref=search_posts",
            "https://www.reddit.com/comments/abc",
        ),
        (
            "https://apps.apple.com/gb/app/id1?see-all=reviews#review-42",
            "https://apps.apple.com/gb/app/id1?see-all=reviews#review-42",
        ),
        ("https://Example.com/CaseKept/Path", "https://example.com/CaseKept/Path"),
    ],
)
def test_normalised_url_lowercases_host_drops_port_slash_and_tracking_keeps_fragment(raw, canonical):
    assert normalise_url(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (
            "https://www.reddit.com/r/AskReddit/comments/48fbm9/serious_parents/",
            "https://www.reddit.com/comments/48fbm9",
        ),
        ("https://old.reddit.com/r/askreddit/comments/48fbm9/", "https://www.reddit.com/comments/48fbm9"),
        ("http://np.reddit.com/comments/48fbm9", "https://www.reddit.com/comments/48fbm9"),
        ("https://redd.it/48fbm9", "https://www.reddit.com/comments/48fbm9"),
        (
            "https://www.reddit.com/r/x/comments/172thsp/bot_x/k3ynwqb/",
            "https://www.reddit.com/comments/172thsp/_/k3ynwqb",
        ),
        ("https://www.reddit.com/r/AskReddit/", "https://www.reddit.com/r/askreddit"),
        ("https://de.trustpilot.com/reviews/6655f0b1", "https://www.trustpilot.com/reviews/6655f0b1"),
        ("https://www.trustpilot.com/reviews/6655f0b1", "https://www.trustpilot.com/reviews/6655f0b1"),
    ],
)
def test_one_site_under_several_names_is_folded_into_one(raw, canonical):
    assert normalise_url(raw) == canonical


@pytest.mark.parametrize("raw", [None, "", "ftp://example.com/x", "not a url", "https://", "http://[::1"])
def test_a_non_http_url_has_no_canonical_form(raw):
    assert normalise_url(raw) is None


def test_app_store_reviews_of_one_app_differ_only_by_fragment_and_stay_distinct():
    base = "https://apps.apple.com/gb/app/id1510826067?see-all=reviews"
    entries = json.loads((FIXTURES / "appstore/jcoynel_1510826067_gb_1.json").read_text())["feed"]["entry"]
    ids = [e["id"]["label"] for e in entries]
    keys = {identity_hash("appstore", rid, f"{base}#review-{rid}") for rid in ids}
    assert len(ids) > 1 and len(keys) == len(ids)
    # the same review seen by a second App Store source of the same app and country: one identity
    assert identity_hash("appstore", ids[0], f"{base}#review-{ids[0]}") in keys


def test_reddit_search_permalink_and_subreddit_permalink_of_one_post_agree():
    search = json.loads((FIXTURES / "reddit/search_all_2016.json").read_text())["data"]["children"][0]["data"]
    assert "?ref=search_posts" in search["permalink"]
    from_search = identity_hash("reddit", search["name"], REDDIT + search["permalink"])
    from_listing = identity_hash("reddit", search["name"], REDDIT + search["permalink"].split("?")[0])
    from_atom_feed = identity_hash("reddit", search["name"], search["url"])  # the feed's entry link
    from_google_alert = identity_hash("feed", "tag:google.com,2013:googlealerts/feed:1", search["url"])
    assert from_search == from_listing == from_atom_feed == from_google_alert


def test_reddit_posts_and_comments_of_one_listing_are_all_distinct():
    children = json.loads((FIXTURES / "reddit/subreddit_comments_2023.json").read_text())["data"]["children"]
    keys = {identity_hash("reddit", c["data"]["name"], REDDIT + c["data"]["permalink"]) for c in children}
    assert len(keys) == len(children)


def test_mastodon_status_seen_from_two_instances_is_one_post_by_its_origin_url():
    status = json.loads((FIXTURES / "mastodon/public_timeline.json").read_text())[0]
    here = identity_hash("mastodon", status["id"], status["url"])
    elsewhere = identity_hash("mastodon", "998877665544", status["url"])  # another instance's local id
    assert here == elsewhere
    # the same local id on another instance is another post
    assert identity_hash("mastodon", status["id"], "https://other.example/@x/1") != here


def test_schemaorg_reviews_sharing_the_page_url_are_told_apart_by_their_own_id():
    page = "https://shop.example/p/42?utm_campaign=x"
    assert mention_identity("schemaorg", "a1b2c3", page) != mention_identity("schemaorg", "d4e5f6", page)
    assert mention_identity("schemaorg", "a1b2c3", page) == mention_identity(
        "schemaorg", "a1b2c3", "https://shop.example/p/42/"
    )
    assert mention_identity("schemaorg", "https://shop.example/p/42#review-1", page) == (
        "https://shop.example/p/42#review-1"
    )


def test_without_a_url_naming_the_post_the_identity_is_kind_and_external_id():
    assert mention_identity("feed", "urn:uuid:1", None) == "feed:urn:uuid:1"
    assert mention_identity("feed", "urn:uuid:1", "https://news.example/") == "feed:urn:uuid:1"
    assert mention_identity("hackernews", "123", "https://news.ycombinator.com/item?id=123") == (
        "https://news.ycombinator.com/item?id=123"
    )
    assert len(identity_hash("feed", "urn:uuid:1", None)) == 64
