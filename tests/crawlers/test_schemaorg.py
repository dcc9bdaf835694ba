"""schema.org spider on real product pages (gzip, 300-850 KB), through Scrapy into SQLite and PostgreSQL.

The layout-error case serves a real page with its JSON-LD scripts cut out (derived in the test): it
stands for a shop that dropped its review markup.
"""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime

from tests.crawlers.conftest import (
    FIXTURES,
    Reply,
    add_source,
    crawl_run,
    mentions_by_id,
    run_crawls,
    source_row,
)

HTML = "text/html; charset=utf-8"


def gz_page(name: str) -> Reply:
    return Reply.file(f"schemaorg/{name}.html.gz", content_type=HTML, headers={"Content-Encoding": "gzip"})


def test_reviews_in_json_ld_and_microdata_are_stored_with_ratings_on_a_five_star_scale(
    engine, fixture_server
):
    srv = fixture_server
    srv.route("/ikea/hook", gz_page("product_4f29e8cc0803"))  # JSON-LD, English, 850 KB unpacked
    srv.route("/3suisses/housse", gz_page("product_5f885d1f831a"))  # microdata, French, worstRating 0
    srv.route("/getit/pc", gz_page("product_469894a59bfb"))  # JSON-LD, Hebrew, ratings out of 10
    srv.route("/bestbuy/doorbell", gz_page("product_2c42fb6035ff"))  # microdata, 1- and 2-star reviews
    srv.route("/tp/eventnet", Reply.file("trustpilot/review_page_2024.html", content_type=HTML))
    ids = [
        add_source(engine, "schemaorg", url=f"{srv.url}{path}")
        for path in ("/ikea/hook", "/3suisses/housse", "/getit/pc", "/bestbuy/doorbell", "/tp/eventnet")
    ]

    results = run_crawls(*ids)

    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.summary["status"] == "ok" and result.summary["errors"] == 0
    ikea, suisses, getit, bestbuy, trustpilot = (mentions_by_id(engine, i) for i in ids)
    assert srv.hits("/ikea/hook")[0].headers.get("Accept-Encoding"), "the crawler asks for compression"

    assert len(ikea) == 17
    brilliant = next(m for m in ikea.values() if m.title == "Brilliant")
    assert (brilliant.text, brilliant.rating, brilliant.author_name) == (
        "Great novelty hooks, very unusual",
        5.0,
        "Chalky",
    )
    assert brilliant.language == "en" and brilliant.url == f"{srv.url}/ikea/hook"
    assert source_row(engine, ids[0]).state["aggregate_rating"] == {"rating": 4.5, "count": 17.0}

    assert len(suisses) == 12, "26 marked-up reviews on the page, 12 distinct (the carousel repeats them)"
    assert {m.language for m in suisses.values()} == {"fr"}
    uniform = next(m for m in suisses.values() if m.text.startswith("Uniformiser des chaises"))
    assert uniform.rating == 4.2  # 4 on a 0-5 scale
    assert all(m.author_handle == "Anonyme" for m in suisses.values())

    assert len(getit) == 9
    worded = next(m for m in getit.values() if m.text)
    assert (worded.text, worded.rating, worded.language) == ("תמורה טובה לעלות.", 5.0, "he")
    assert worded.published_at == datetime(2020, 11, 29, tzinfo=UTC)
    nines = [m for m in getit.values() if m.published_at == datetime(2020, 12, 2, tzinfo=UTC)]
    assert nines and all(m.rating == 4.56 for m in nines)  # 9 out of 1-10
    rating_only = [m for m in getit.values() if not m.text]
    assert rating_only and all(m.status == "new" and m.rating is not None for m in rating_only), (
        "a star rating without words is a review: stored for scoring, not parked"
    )

    assert sorted(m.rating for m in bestbuy.values()) == [1.0, 1.0, 2.0]
    assert any(m.text.startswith("Thank you to BestBuy") for m in bestbuy.values())

    # Trustpilot's own page also carries its reviews as JSON-LD, with ids and author pages
    assert len(trustpilot) == 20
    saskia = trustpilot["https://www.trustpilot.com/#/schema/Review/eventnet.de/667d00c443645513f3ae5f18"]
    assert (saskia.title, saskia.rating, saskia.language) == ("Immer wieder gerne...", 5.0, "de")
    assert saskia.author_url == "https://www.trustpilot.com/users/667d00af3a6fe0521e28cf2f/"
    assert saskia.published_at == datetime(2024, 6, 27, 8, 3, 48, tzinfo=UTC)


def test_page_without_review_markup_fails_as_layout_change_and_recrawl_adds_no_rows(engine, fixture_server):
    srv = fixture_server
    page = gzip.decompress((FIXTURES / "schemaorg/product_897bc5b59e37.html.gz").read_bytes()).decode()
    stripped = re.sub(r"<script[^>]*application/ld\+json[^>]*>.*?</script>", "", page, flags=re.S)
    assert stripped != page
    srv.route("/bare", Reply(body=stripped.encode(), content_type=HTML))
    srv.route("/bear", gz_page("product_897bc5b59e37"))
    bare = add_source(engine, "schemaorg", url=f"{srv.url}/bare")
    bear = add_source(engine, "schemaorg", url=f"{srv.url}/bear")

    broken, first = run_crawls(bare, bear)
    (again,) = run_crawls(bear)

    assert broken.returncode == 1 and broken.summary["status"] == "failed"
    error = crawl_run(engine, broken.summary["run_id"]).errors[0]
    assert error["kind"] == "layout" and "0 items parsed from a non-empty page" in error["reason"]
    assert first.summary["new"] == 20
    assert (again.summary["new"], again.summary["unchanged"]) == (0, 20)
    assert len(mentions_by_id(engine, bear)) == 20
