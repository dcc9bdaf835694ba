"""Mastodon spider on real captures (Mastodon.py cassettes): Link paging, HTML content, empty search."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.crawlers.conftest import Reply, add_source, crawl_run, mentions_by_id, run_crawl

TAG = "/api/v1/timelines/tag/hoot"
LOCAL = "http://localhost:3000"


def link(max_id: str, min_id: str, path: str = TAG) -> dict[str, str]:
    """The Link header as the captured server sent it (its own host, which the spider must not follow)."""
    return {
        "Link": f'<{LOCAL}{path}?max_id={max_id}>; rel="next", <{LOCAL}{path}?min_id={min_id}>; rel="prev"'
    }


def test_tag_timeline_follows_link_pages_on_the_instance_and_search_with_no_statuses_is_fine(
    engine, fixture_server
):
    srv = fixture_server
    srv.route(
        TAG,
        Reply.file(
            "mastodon/tag_timeline_hoot.json", headers=link("117020593741189701", "117020593741189701")
        ),
    )
    srv.route(
        TAG,
        Reply.file("mastodon/public_timeline.json", headers=link("117020574694606796", "117020593134559451")),
        query={"max_id": "117020593741189701"},
    )
    srv.route(
        TAG,
        Reply.file(
            "mastodon/account_statuses_page1.json", headers=link("117020580489281910", "117020580518794573")
        ),
        query={"max_id": "117020574694606796"},
    )
    srv.route(TAG, Reply.json([]), query={"max_id": "117020580489281910"})  # the end: an empty array, no Link
    srv.route("/api/v2/search", Reply.file("mastodon/search_v2_statuses_empty.json"))
    source_id = add_source(
        engine,
        "mastodon",
        instance="mastodon.example",
        tag="#hoot",
        query="mastodonpy_test",
        base_url=srv.url,
    )

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    s = result.summary
    assert (s["status"], s["pages"], s["new"], s["errors"]) == ("ok", 5, 14, 0)
    assert [h.query.get("max_id", [None])[0] for h in srv.hits(TAG)] == [
        None,
        "117020593741189701",
        "117020574694606796",
        "117020580489281910",
    ]
    search = srv.hits("/api/v2/search")
    assert (
        len(search) == 1
        and search[0].query["type"] == ["statuses"]
        and search[0].query["q"] == ["mastodonpy_test"]
    )

    stored = mentions_by_id(engine, source_id)
    toot = stored["117020593741189701"]
    assert toot.text == "#hoot (hashtag toot)"
    assert toot.url == "http://localhost:3000/@mastodonpy_test_2/117020593741189701"
    assert toot.author_handle == "mastodonpy_test_2@mastodon.example"
    assert toot.author_url == "http://localhost:3000/@mastodonpy_test_2"
    assert toot.author_followers == 0 and toot.author_name is None
    assert toot.language == "ja"
    assert toot.published_at == datetime(2026, 8, 1, 13, 55, 55, 867000, tzinfo=UTC)
    assert toot.engagement == {"likes": 0, "replies": 0, "reposts": 0}
    assert toot.title is None
    jeep = stored["117020588169351887"]
    assert jeep.text == "@mastodonpy_test beep beep I'm a jeep"
    assert jeep.language == "en" and jeep.author_handle == "admin@mastodon.example"
    assert stored["117020592137523525"].text == "you can't say that on television"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_401_and_404_answers_are_recorded_once_each_without_retrying(engine, fixture_server):
    srv = fixture_server
    challenge = (
        'Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"'
    )
    srv.route(
        TAG,
        Reply.file(
            "mastodon/error_401_invalid_token.json", status=401, headers={"WWW-Authenticate": challenge}
        ),
    )
    srv.route("/api/v2/search", Reply.file("mastodon/error_404_status_missing.json", status=404))
    source_id = add_source(
        engine, "mastodon", instance="mastodon.example", tag="hoot", query="x", base_url=srv.url
    )

    result = run_crawl(source_id)

    assert result.returncode == 1
    assert len(srv.hits(TAG)) == 1 and len(srv.hits("/api/v2/search")) == 1
    reasons = sorted(e["reason"] for e in crawl_run(engine, result.summary["run_id"]).errors)
    assert reasons == ['HTTP 401: {"error":"The access token is invalid"}', 'HTTP 404: {"error":"Not Found"}']
