"""Trustpilot spider on a real review page (``__NEXT_DATA__``), through Scrapy into SQLite and PostgreSQL.

Pagination over several pages is covered by the replay crawl (tests/crawlers/test_replay_crawl.py):
only one real Trustpilot page has been captured.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.crawlers.conftest import (
    Reply,
    add_source,
    crawl_run,
    mentions_by_id,
    run_crawls,
    source_row,
)

HTML = "text/html; charset=utf-8"


def test_reads_german_reviews_with_ratings_from_next_data_and_flags_a_changed_layout(engine, fixture_server):
    srv = fixture_server
    srv.route("/review/eventnet.de", Reply.file("trustpilot/review_page_2024.html", content_type=HTML))
    # a real HTML page without __NEXT_DATA__ (a product page) stands for a redesigned Trustpilot page
    srv.route(
        "/review/redesigned.example",
        Reply.file(
            "schemaorg/product_4f29e8cc0803.html.gz", content_type=HTML, headers={"Content-Encoding": "gzip"}
        ),
    )
    good = add_source(engine, "trustpilot", company="eventnet.de", base_url=srv.url)
    changed = add_source(engine, "trustpilot", url=f"{srv.url}/review/redesigned.example")

    ok, broken = run_crawls(good, changed)

    assert ok.returncode == 0, ok.stderr[-2000:]
    assert (ok.summary["status"], ok.summary["pages"], ok.summary["new"], ok.summary["errors"]) == (
        "ok",
        1,
        20,
        0,
    )
    assert srv.hits("/review/eventnet.de")[0].query == {"sort": ["recency"]}
    stored = mentions_by_id(engine, good)
    assert len(stored) == 20
    review = stored["667d00c443645513f3ae5f18"]
    assert review.title == "Immer wieder gerne..."
    assert review.text.startswith("Eine spontane Anfrage in einer recht umtriebigen Zeit.")
    assert "Gerne wieder! Auf bald!" in review.text
    assert (review.rating, review.language) == (5.0, "de")
    assert (review.author_name, review.author_handle) == ("Saskia Herrmann", "667d00af3a6fe0521e28cf2f")
    assert review.published_at == datetime(2024, 6, 27, 8, 3, 48, tzinfo=UTC)
    assert review.url == f"{srv.url}/reviews/667d00c443645513f3ae5f18"
    assert review.engagement == {"likes": 0}
    assert review.raw_ref.endswith("#__NEXT_DATA__/props/pageProps/reviews/667d00c443645513f3ae5f18")
    assert all(m.rating == 5.0 and m.language == "de" for m in stored.values())
    assert any("ü" in m.text or "ß" in m.text for m in stored.values())
    business = source_row(engine, good).state["business"]
    assert business == {"name": "Eventnet", "trust_score": 4.6, "reviews": 20}

    assert broken.returncode == 1
    assert (broken.summary["status"], broken.summary["new"]) == ("failed", 0)
    errors = crawl_run(engine, broken.summary["run_id"]).errors
    assert errors[0]["kind"] == "layout" and "__NEXT_DATA__" in errors[0]["reason"]
    assert "__NEXT_DATA__" in source_row(engine, changed).last_error
