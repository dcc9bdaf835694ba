"""Bluesky spider on real AppView captures: search, author feed, cursors, reposts, app-password sessions."""

from __future__ import annotations

import json

import pytest

from crawlers.spiders.bluesky import embed_text
from tests.crawlers.conftest import FIXTURES, Reply, add_source, crawl_run, mentions_by_id, run_crawl

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
AUTHOR_FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
SESSION = "/xrpc/com.atproto.server.createSession"
FEED_CURSOR = "1682809172466::bafyreihdpdn7uiqmshzb2y4o67gzy2aeairq6phuk476k2oidhy2p5dbwu"


def test_search_and_author_feed_follow_cursors_skip_reposts_and_keep_languages(engine, fixture_server):
    srv = fixture_server
    srv.route(SEARCH, Reply.file("bluesky/searchPosts_2023.json"))
    srv.route(
        SEARCH, Reply.json({"posts": [], "hitsTotal": 10}), query={"cursor": "xxxxxxx"}
    )  # last page: no cursor
    srv.route(AUTHOR_FEED, Reply.file("bluesky/getAuthorFeed_2023.json"))
    srv.route(AUTHOR_FEED, Reply.file("bluesky/getFeed_2023.json"), query={"cursor": FEED_CURSOR})
    source_id = add_source(engine, "bluesky", query="fone", actor="shinyakato.dev", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    s = result.summary
    assert (s["status"], s["pages"], s["new"], s["skipped"], s["errors"]) == ("ok", 4, 31, 2, 0)
    assert [h.query.get("cursor", [None])[0] for h in srv.hits(SEARCH)] == [None, "xxxxxxx"]
    assert [h.query.get("cursor", [None])[0] for h in srv.hits(AUTHOR_FEED)] == [None, FEED_CURSOR]
    assert srv.hits(SEARCH)[0].query["q"] == ["fone"] and srv.hits(AUTHOR_FEED)[0].query["actor"] == [
        "shinyakato.dev"
    ]
    assert not any("Authorization" in h.headers for h in srv.requests)

    stored = mentions_by_id(engine, source_id)
    found = stored["at://did:plc:d3zpokjdspr22chfrc427eis/app.bsky.feed.post/3ju4p6u2i3a2g"]
    assert found.text.startswith("eu queria um fone de ouvido com fio, não me dou bem com fone sem fios")
    assert found.url == "https://bsky.app/profile/luy.gay/post/3ju4p6u2i3a2g"
    assert (found.author_handle, found.author_name) == ("luy.gay", "luy 🦋")
    assert found.engagement == {"likes": 7, "replies": 8, "reposts": 0}
    assert found.published_at.isoformat() == "2023-04-24T13:50:19.672000+00:00"
    trove = stored["at://did:plc:iijrtk7ocored6zuziwmqq3c/app.bsky.feed.post/3jukoxegkhw2s"]
    assert trove.text == "A treasure trove! 🐩" and trove.author_name == "Shinya Kato 🤯"
    japanese = [m for m in stored.values() if m.text.startswith("単純にイーロンマスクが嫌い")]
    assert len(japanese) == 1 and japanese[0].author_handle == "shinyakato.dev"
    reposted = "at://did:plc:gggcwmwoyak6op4pkqm76ckz/app.bsky.feed.post/3jukz62npim26"
    assert reposted not in stored  # a repost is not the actor's post
    assert "at://did:plc:2z6stlhmp7g3ldo2bqmmex4f/app.bsky.feed.post/3jvt4xc24wk2o" in stored  # from page 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_refused_search_opens_a_session_with_the_app_password_and_never_logs_it(
    engine, fixture_server, monkeypatch
):
    srv = fixture_server
    refusal = {"error": "AuthMissing", "message": "Authentication Required"}  # XRPC error shape
    srv.route(
        SEARCH,
        Reply.json(refusal, status=401),
        Reply.json(refusal, status=401),
        Reply.file("bluesky/searchPosts_2023.json"),
    )
    srv.route(SEARCH, Reply.json({"posts": []}), query={"cursor": "xxxxxxx"})
    session = {
        "accessJwt": "jwt-access-123",
        "refreshJwt": "jwt-refresh",
        "handle": "brand.example",
        "did": "did:plc:b",
    }
    srv.route(SESSION, Reply.json(session), method="POST")
    source_id = add_source(engine, "bluesky", query="fone", base_url=srv.url)

    without = run_crawl(source_id)
    assert without.returncode == 1
    run = crawl_run(engine, without.summary["run_id"])
    assert run.status == "failed"
    assert "BOUNCEBACK_BLUESKY_APP_PASSWORD" in run.errors[0]["reason"] and "401" in run.errors[0]["reason"]
    assert not srv.hits(SESSION)

    monkeypatch.setenv("BOUNCEBACK_BLUESKY_IDENTIFIER", "brand.example")
    monkeypatch.setenv("BOUNCEBACK_BLUESKY_APP_PASSWORD", "app-pass-s3cret")
    with_password = run_crawl(source_id)

    assert with_password.returncode == 0, with_password.stderr[-2000:]
    assert with_password.summary["new"] == 1
    login = srv.hits(SESSION)
    assert len(login) == 1 and json.loads(login[0].body) == {
        "identifier": "brand.example",
        "password": "app-pass-s3cret",
    }
    authed = [h for h in srv.hits(SEARCH) if h.headers.get("Authorization")]
    assert authed and all(h.headers["Authorization"] == "Bearer jwt-access-123" for h in authed)
    assert "app-pass-s3cret" not in with_password.stdout + with_password.stderr


def test_a_post_without_text_reads_its_image_and_quoted_post():
    thread = json.loads((FIXTURES / "bluesky/get_post_thread_2023.json").read_bytes())
    post = thread["thread"]["post"]
    assert post["record"]["text"] == ""
    described = embed_text(post["embed"])
    quoted = post["embed"]["record"]["record"]["value"]["text"]
    assert quoted and quoted in described
    assert described.startswith("[") and "quoting @" in described


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_page_refused_mid_crawl_is_repeated_with_its_cursor_after_the_session_opens(
    engine, fixture_server, monkeypatch
):
    srv = fixture_server
    refusal = {"error": "AuthMissing", "message": "Authentication Required"}
    srv.route(SEARCH, Reply.file("bluesky/searchPosts_2023.json"))
    srv.route(SEARCH, Reply.json(refusal, status=401), Reply.json({"posts": []}), query={"cursor": "xxxxxxx"})
    srv.route(SESSION, Reply.json({"accessJwt": "jwt-access-123", "did": "did:plc:b"}), method="POST")
    monkeypatch.setenv("BOUNCEBACK_BLUESKY_IDENTIFIER", "brand.example")
    monkeypatch.setenv("BOUNCEBACK_BLUESKY_APP_PASSWORD", "app-pass-s3cret")
    source_id = add_source(engine, "bluesky", query="fone", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    cursors = [
        (h.query.get("cursor", [None])[0], bool(h.headers.get("Authorization"))) for h in srv.hits(SEARCH)
    ]
    assert cursors == [(None, False), ("xxxxxxx", False), ("xxxxxxx", True)]  # not the first page again
    assert len(srv.hits(SESSION)) == 1 and result.summary["new"] == 1
