"""Mastodon spider on real captures (Mastodon.py cassettes): Link paging, HTML content, empty search."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.crawlers.conftest import (
    FIXTURES,
    Reply,
    add_source,
    crawl_run,
    mentions_by_id,
    rows,
    run_crawl,
    run_crawls,
    source_row,
)

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
    errors = sorted(crawl_run(engine, result.summary["run_id"]).errors, key=lambda e: e["kind"])
    assert [(e["kind"], e["reason"].split(" (")[0], e.get("permanent")) for e in errors] == [
        ("auth", 'HTTP 401: {"error":"The access token is invalid"}', True),
        ("http", 'HTTP 404: {"error":"Not Found"}', None),
    ]


CHALLENGE = (
    'Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"'
)
TOKEN = "zX9-bounceback-test-token-Qv7"  # what an instance's OAuth app page hands out, made up


def search_body() -> bytes:
    """A v2 search answer carrying the real statuses of the tag timeline capture (no public search
    capture has statuses: both of Mastodon.py's recorded searches came back empty)."""
    statuses = json.loads((FIXTURES / "mastodon/tag_timeline_hoot.json").read_bytes())
    return json.dumps({"accounts": [], "statuses": statuses, "hashtags": []}).encode()


def use_token(monkeypatch, token: str | None, instance: str = "") -> None:
    """Configure (or remove) the access token for the crawl subprocesses."""
    for name, value in (("ACCESS_TOKEN", token), ("TOKEN_INSTANCE", instance)):
        if value:
            monkeypatch.setenv(f"BOUNCEBACK_MASTODON_{name}", value)
        else:
            monkeypatch.delenv(f"BOUNCEBACK_MASTODON_{name}", raising=False)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_access_token_reaches_its_own_instance_only_and_is_never_logged(
    engine, fixture_server, monkeypatch
):
    srv = fixture_server
    srv.route("/api/v2/search", Reply(body=search_body))
    host = srv.url.removeprefix("http://")
    use_token(monkeypatch, TOKEN, instance=host)
    monkeypatch.setenv("BOUNCEBACK_LOG_LEVEL", "DEBUG")  # Scrapy logs every request and response
    own = add_source(engine, "mastodon", instance=host, query="hoot", base_url=srv.url)
    # another instance served from the same machine under another name: same port, other host
    other = add_source(
        engine,
        "mastodon",
        instance="mastodon.example",
        query="hoot",
        base_url=srv.url.replace("127.0.0.1", "localhost"),
    )

    results = run_crawls(own, other)

    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.summary["new"] == 1 and TOKEN not in result.stdout + result.stderr
        assert "Crawled (200) <GET http" in result.stderr  # the debug log was on, and said nothing of it
    seen = {h.headers["Host"]: h.headers.get("Authorization") for h in srv.hits("/api/v2/search")}
    assert seen == {host: f"Bearer {TOKEN}", host.replace("127.0.0.1", "localhost"): None}
    assert all("Authorization" not in h.headers for h in srv.hits("/robots.txt"))
    stored = rows(engine, "SELECT * FROM crawlrun") + rows(engine, "SELECT * FROM source")
    stored += rows(engine, "SELECT * FROM mention")
    assert TOKEN not in repr(stored)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_401_with_a_refused_or_missing_token_is_the_crawls_permanent_error(
    engine, fixture_server, monkeypatch
):
    srv = fixture_server
    srv.route(
        "/api/v2/search",
        Reply.file(
            "mastodon/error_401_invalid_token.json", status=401, headers={"WWW-Authenticate": CHALLENGE}
        ),
    )
    host = srv.url.removeprefix("http://")
    source_id = add_source(engine, "mastodon", instance=host, query="hoot", base_url=srv.url)

    use_token(monkeypatch, "revoked-" + TOKEN, instance=host)
    refused = run_crawl(source_id)
    use_token(monkeypatch, None)
    missing = run_crawl(source_id)

    assert [h.headers.get("Authorization") for h in srv.hits("/api/v2/search")] == [
        f"Bearer revoked-{TOKEN}",
        None,
    ]
    for result, hint in (
        (
            refused,
            "the instance refused the access token (invalid, expired or revoked): renew "
            "BOUNCEBACK_MASTODON_ACCESS_TOKEN",
        ),
        (
            missing,
            "the instance wants an access token: set BOUNCEBACK_MASTODON_ACCESS_TOKEN and "
            f"BOUNCEBACK_MASTODON_TOKEN_INSTANCE={host}",
        ),
    ):
        assert result.returncode == 1 and result.summary["status"] == "failed"
        (error,) = crawl_run(engine, result.summary["run_id"]).errors
        assert error == {
            "kind": "auth",
            "reason": f'HTTP 401: {{"error":"The access token is invalid"}} ({hint})',
            "url": f"{srv.url}/api/v2/search?q=hoot&type=statuses&limit=40",
            "permanent": True,
        }
        assert TOKEN not in result.stdout + result.stderr
    source = source_row(engine, source_id)
    assert source.consecutive_failures == 2 and source.last_error.startswith("auth: HTTP 401:")
    assert "wants an access token" in source.last_error and source.last_success_at is None
