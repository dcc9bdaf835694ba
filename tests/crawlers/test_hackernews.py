"""Hacker News spider on real Algolia captures, paging by time, through Scrapy into both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.crawlers.conftest import Reply, add_source, mentions_by_id, run_crawl

SEARCH = "/api/v1/search_by_date"


def test_search_by_date_pages_by_created_at_and_stores_comments_and_stories(engine, fixture_server):
    srv = fixture_server
    srv.route(SEARCH, Reply.file("hackernews/search_by_date_comments_page1_2018.json"))
    srv.route(
        SEARCH,
        Reply.file("hackernews/search_by_date_comments_page2_numericfilters_2018.json"),
        query={"numericFilters": "created_at_i<1542316220"},
    )
    srv.route(
        SEARCH,
        Reply.file("hackernews/search_stories_by_url_2016.json"),
        query={"numericFilters": "created_at_i<1542316215"},
    )
    source_id = add_source(engine, "hackernews", query="rmotr", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    s = result.summary
    assert (s["status"], s["pages"], s["new"], s["errors"]) == ("ok", 3, 8, 0)
    hits = srv.hits(SEARCH)
    assert [h.query.get("numericFilters", [None])[0] for h in hits] == [
        None,
        "created_at_i<1542316220",
        "created_at_i<1542316215",
    ]
    assert hits[0].query["query"] == ["rmotr"] and hits[0].query["tags"] == ["(story,comment)"]

    stored = mentions_by_id(engine, source_id)
    comment = stored["18463371"]
    assert comment.text.startswith("Your example perfectly illustrates why I prefer the California method.")
    assert "one quick left/right check" in comment.text  # &#x2F; decoded
    assert "\n\nI don't have to analyze anything" in comment.text  # <p> became a paragraph, &#x27; a quote
    assert comment.title == "Waymo CEO Says Alphabet Unit Plans to Launch Driverless Car Service"
    assert comment.url == "https://news.ycombinator.com/item?id=18463371"
    assert comment.author_handle == "komali2"
    assert comment.author_url == "https://news.ycombinator.com/user?id=komali2"
    assert comment.published_at == datetime(2018, 11, 15, 21, 10, 34, tzinfo=UTC)
    assert comment.engagement == {}  # comments carry no points or counts in search results
    assert (
        stored["18463370"].title
        == "\u2018I Don\u2019t Really Want to Work for Facebook.\u2019 So Say Computer Science Students"
    )

    story = stored["8828543"]
    assert story.title == "Why aren\u2019t we using SSH for everything?"
    assert story.text == ""
    assert story.engagement == {"likes": 270, "score": 270, "replies": 103}
    assert story.author_handle == "dkua"
    assert story.published_at == datetime.fromtimestamp(1420232746, UTC)
    assert story.raw_ref.endswith("#/hits/objectID=8828543")
