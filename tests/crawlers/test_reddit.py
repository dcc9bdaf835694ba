"""Reddit spider on real captured listings (praw cassettes), through Scrapy into SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from tests.crawlers.conftest import (
    FIXTURES,
    Reply,
    add_source,
    crawl_run,
    mentions_by_id,
    rows,
    run_crawl,
    source_row,
)


def test_subreddit_listing_follows_after_cursors_and_stores_posts_and_comments(engine, fixture_server):
    srv = fixture_server
    srv.route("/r/askreddit/new.json", Reply.file("reddit/subreddit_new_2016.json"))
    srv.route(
        "/r/askreddit/new.json",
        Reply.file("reddit/subreddit_comments_2023.json"),
        query={"after": "t3_48f6io"},
    )
    srv.route(
        "/r/askreddit/new.json", Reply.file("reddit/empty_listing_2016.json"), query={"after": "t1_k3uzsxu"}
    )
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    summary = result.summary
    assert (summary["status"], summary["pages"], summary["new"], summary["errors"]) == ("ok", 3, 200, 0)
    afters = [r.query.get("after", [None])[0] for r in srv.hits("/r/askreddit/new.json")]
    assert afters == [None, "t3_48f6io", "t1_k3uzsxu"]
    assert all(
        r.query["limit"] == ["100"] and r.query["raw_json"] == ["1"]
        for r in srv.hits("/r/askreddit/new.json")
    )
    assert srv.hits("/robots.txt"), "robots.txt is fetched before crawling"

    stored = mentions_by_id(engine, source_id)
    assert len(stored) == 200
    post = stored["t3_48fbm9"]
    assert (
        post.title
        == "[Serious] Parents of Reddit, what's the biggest lie about yourself you've told your kids?"
    )
    assert post.text == ""  # a link/title-only post: the title carries it
    assert (
        post.url
        == "https://www.reddit.com/r/AskReddit/comments/48fbm9/serious_parents_of_reddit_whats_the_biggest_lie/"
    )
    assert post.author_handle == "RedHeadQc"
    assert post.author_url == "https://www.reddit.com/user/RedHeadQc"
    assert post.published_at == datetime.fromtimestamp(1456821458, UTC)
    assert post.status == "new"
    assert post.match_reason.startswith("no watch defined")
    engagement = post.engagement
    assert engagement["score"] == 1 and engagement["likes"] == 1 and engagement["replies"] == 1
    assert post.raw_ref.endswith("/r/askreddit/new.json?limit=100&raw_json=1#/data/children/t3_48fbm9")
    assert len(post.content_hash) == 64

    comment = stored["t1_k3yrfii"]
    assert comment.text == "Did it work?"
    assert comment.author_handle == "Acceptable-Bread-566"
    assert comment.url.endswith("/comments/agi5zf/<TEST_SUBREDDIT>/k3yrfii/")
    emoji = stored["t1_k3yiw5z"]
    assert "🥇" in emoji.text and "😈" in emoji.text

    run = crawl_run(engine, summary["run_id"])
    assert (run.status, run.pages, run.items_new, run.items_parked) == ("ok", 3, 200, 0)
    src = source_row(engine, source_id)
    assert src.last_success_at is not None and src.consecutive_failures == 0
    snapshots = rows(engine, "SELECT count(*) AS n FROM engagementsnapshot")[0].n
    assert snapshots == 200  # each new mention starts its engagement history


def _bumped_popular_page() -> bytes:
    """The real 2026 r/popular page, re-served later with engagement grown and one post edited."""
    data = json.loads((FIXTURES / "reddit/listing_popular_hot_2026.json").read_bytes())
    first = data["data"]["children"][0]["data"]
    first["score"] += 500
    first["ups"] += 500
    first["num_comments"] += 40
    second = data["data"]["children"][1]["data"]
    second["selftext"] = "EDIT: the original text was replaced"
    return json.dumps(data).encode()


def test_search_recrawl_adds_no_rows_updates_engagement_and_keeps_the_previous_text(engine, fixture_server):
    srv = fixture_server
    srv.route(
        "/search.json", Reply.file("reddit/listing_popular_hot_2026.json"), Reply(body=_bumped_popular_page)
    )
    srv.route("/search.json", Reply.file("reddit/search_all_2016.json"), query={"after": "t3_1skbyfv"})
    source_id = add_source(engine, "reddit", query="praw oauth", base_url=srv.url)

    first = run_crawl(source_id)
    assert first.returncode == 0, first.stderr[-2000:]
    assert (first.summary["pages"], first.summary["new"]) == (2, 106)
    stored = mentions_by_id(engine, source_id)
    japanese = stored["t3_4at068"]
    assert japanese.title.startswith("たびたび話題になるサイドバーの閲覧中ユーザ数について")
    flags = stored["t3_1skge43"]
    assert "🚨" in flags.title and "🇺🇸" in flags.title
    search_hit = srv.hits("/search.json")[0]
    assert search_hit.query["q"] == ["praw oauth"] and search_hit.query["sort"] == ["new"]
    assert "bounceback" in search_hit.headers["User-Agent"]

    with engine.begin() as conn:  # the scorer saw it and found nothing to do
        conn.execute(
            text("UPDATE mention SET status = 'scored' WHERE external_id = :e"), {"e": _second_name()}
        )
    second = run_crawl(source_id)

    assert second.returncode == 0, second.stderr[-2000:]
    s = second.summary
    assert (s["new"], s["updated"], s["unchanged"]) == (0, 2, 98)
    # incremental: page 1 held already-seen posts, so page 2 was not fetched again
    assert len([h for h in srv.hits("/search.json") if h.query.get("after")]) == 1
    assert rows(engine, "SELECT count(*) AS n FROM mention WHERE source_id = :s", s=source_id)[0].n == 106
    first_id = stored["t3_1skjxta"].id
    snaps = rows(
        engine, "SELECT score, replies FROM engagementsnapshot WHERE mention_id = :m ORDER BY id", m=first_id
    )
    assert (
        len(snaps) == 2
        and snaps[1].score == snaps[0].score + 500
        and snaps[1].replies == snaps[0].replies + 40
    )
    edited = mentions_by_id(engine, source_id)[_second_name()]
    assert edited.text == "EDIT: the original text was replaced" and edited.version == 2
    assert edited.status == "new"  # an edited post is scored again
    log = rows(engine, "SELECT action, actor, note FROM activity WHERE mention_id = :m", m=edited.id)
    assert [(a.action, a.actor) for a in log] == [("updated", "crawler")]
    assert log[0].note == stored[_second_name()].text


def _second_name() -> str:
    data = json.loads((FIXTURES / "reddit/listing_popular_hot_2026.json").read_bytes())
    return str(data["data"]["children"][1]["data"]["name"])
