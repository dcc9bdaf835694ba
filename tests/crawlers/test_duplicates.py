"""One public post reached through two sources is stored per source but triaged and alerted once.

The store is driven directly (both databases) for the rules, then two real crawls of two Reddit
sources (search + subreddit listing served the same captured posts) go through the score job and the
alert rules.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from typing import Any

from sqlalchemy import Engine, func, select, update

from bounceback.identity import identity_hash
from bounceback.tables import Alert, EngagementSnapshot, Mention
from bounceback.types import ON_QUEUE, MentionStatus, utcnow
from crawlers.clean import AuthorRow, PreparedMention
from crawlers.store import store_batch, upsert_batch
from tests.crawlers.conftest import (
    FIXTURES,
    Reply,
    add_source,
    crawl_run,
    mentions_by_id,
    run_crawl,
    run_crawls,
)

M = Mention.__table__  # type: ignore[attr-defined]
AL = Alert.__table__  # type: ignore[attr-defined]
S = EngagementSnapshot.__table__  # type: ignore[attr-defined]
POST = "https://www.reddit.com/r/acme/comments/abc123/acme_ate_my_order/"
COMPLAINT_ID = "t3_3gpbiu"  # the first post of reddit/search_all_2016.json, made a complaint below
COMPLAINT = "Acme support is terrible and useless. Worst experience ever, I want a refund now!"


def prepared(
    external_id: str, url: str | None, text: str = "acme", author: str = "someone", **engagement: int
) -> PreparedMention:
    """A cleaned mention as the pipeline hands it to the store."""
    from crawlers.clean import content_hash

    values: dict[str, Any] = {
        "url": url,
        "title": None,
        "text": text,
        "rating": None,
        "language": "en",
        "published_at": utcnow(),
        "raw_ref": None,
        "content_hash": content_hash(None, text, None),
        "extra": {},
        "watch_id": None,
        "match_reason": "test",
    }
    return PreparedMention(external_id, values, dict(engagement), AuthorRow(handle=author))


def stored(engine: Engine, source_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        return {r.external_id: r for r in conn.execute(select(M).where(M.c.source_id == source_id)).all()}


def test_same_post_from_a_second_source_is_stored_as_a_duplicate_of_the_first(engine):
    search, listing, alerts_feed = (add_source(engine, k) for k in ("reddit", "reddit", "feed"))

    first = upsert_batch(engine, search, "reddit", [prepared("t3_abc123", POST + "?ref=search_posts")])
    second = upsert_batch(engine, listing, "reddit", [prepared("t3_abc123", POST)])
    third = upsert_batch(
        engine, alerts_feed, "feed", [prepared("tag:google.com:1", POST.upper()[:8] + POST[8:])]
    )

    assert (first.new, first.duplicate) == (1, 0)
    assert (second.new, second.duplicate, third.new, third.duplicate) == (1, 1, 1, 1)
    original = stored(engine, search)["t3_abc123"]
    copy_ = stored(engine, listing)["t3_abc123"]
    via_feed = stored(engine, alerts_feed)["tag:google.com:1"]
    assert (original.status, original.duplicate_of_id) == ("new", None)
    assert (copy_.status, copy_.duplicate_of_id) == ("duplicate", original.id)
    assert (via_feed.status, via_feed.duplicate_of_id) == ("duplicate", original.id)  # the first, not a copy
    assert original.identity_hash == copy_.identity_hash == identity_hash("reddit", "x", POST)


def test_recrawl_adds_nothing_and_a_duplicates_engagement_goes_to_its_own_row(engine):
    search, listing = add_source(engine, "reddit"), add_source(engine, "reddit")
    upsert_batch(engine, search, "reddit", [prepared("t3_abc123", POST, likes=3)])
    upsert_batch(engine, listing, "reddit", [prepared("t3_abc123", POST, likes=3)])

    again = upsert_batch(engine, listing, "reddit", [prepared("t3_abc123", POST, likes=3)])
    bumped = upsert_batch(engine, listing, "reddit", [prepared("t3_abc123", POST, likes=40)])
    edited = upsert_batch(engine, listing, "reddit", [prepared("t3_abc123", POST, "edited", likes=40)])

    assert (again.new, again.duplicate, again.unchanged) == (0, 0, 1)
    assert (bumped.updated, bumped.duplicate, edited.updated) == (1, 0, 1)
    original, copy_ = stored(engine, search)["t3_abc123"], stored(engine, listing)["t3_abc123"]
    assert copy_.engagement["likes"] == 40 and original.engagement["likes"] == 3
    assert copy_.status == "duplicate", "an edit re-scores scored mentions, never a duplicate"
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(M)).scalar_one()
        snaps = dict(conn.execute(select(S.c.mention_id, func.count()).group_by(S.c.mention_id)).all())
    assert total == 2
    assert snaps == {original.id: 1, copy_.id: 3}


def test_a_copy_stored_while_the_first_copy_is_being_written_waits_for_it_and_is_a_duplicate(engine):
    first, second = add_source(engine, "reddit"), add_source(engine, "reddit")
    done: dict[str, Any] = {}

    def store_second() -> None:
        done["counts"] = upsert_batch(engine, second, "reddit", [prepared("t3_abc123", POST, author="b")])

    with engine.begin() as conn:  # the first source's batch, not yet committed
        store_batch(conn, first, "reddit", [prepared("t3_abc123", POST, author="a")])
        racer = threading.Thread(target=store_second)
        racer.start()
        racer.join(1.5)
        assert racer.is_alive(), "the second store waits for the first one's transaction"
    racer.join(30)

    assert (done["counts"].new, done["counts"].duplicate) == (1, 1)
    assert stored(engine, second)["t3_abc123"].duplicate_of_id == stored(engine, first)["t3_abc123"].id


def test_same_identity_within_one_source_and_copies_of_purged_posts_are_not_duplicates(engine):
    one, other = add_source(engine, "feed"), add_source(engine, "feed")
    same_source = upsert_batch(engine, one, "feed", [prepared("a", POST), prepared("b", POST)])
    assert (same_source.new, same_source.duplicate) == (2, 0)
    with engine.begin() as conn:
        conn.execute(update(M).where(M.c.source_id == one).values(purged_at=utcnow(), text=""))

    later = upsert_batch(engine, other, "feed", [prepared("c", POST)])

    assert (later.new, later.duplicate) == (1, 0)
    assert stored(engine, other)["c"].status == "new"


def test_different_app_store_reviews_of_one_app_are_not_duplicates_and_the_same_review_is(engine):
    entries = json.loads((FIXTURES / "appstore/jcoynel_1510826067_gb_1.json").read_text())["feed"]["entry"]
    base = "https://apps.apple.com/gb/app/id1510826067?see-all=reviews#review-"
    reviews = [prepared(e["id"]["label"], base + e["id"]["label"], e["content"]["label"]) for e in entries]
    gb, gb_again = add_source(engine, "appstore"), add_source(engine, "appstore")

    first = upsert_batch(engine, gb, "appstore", reviews)
    second = upsert_batch(engine, gb_again, "appstore", reviews[:2])

    assert (first.new, first.duplicate) == (len(entries), 0)
    assert {r.status for r in stored(engine, gb).values()} == {"new"}
    assert (second.new, second.duplicate) == (2, 2)


def _listing_without_ref(search_body: bytes) -> bytes:
    """The captured search page as a subreddit listing shows it: permalinks without ``?ref=``."""
    doc = json.loads(search_body)
    for child in doc["data"]["children"]:
        child["data"]["permalink"] = child["data"]["permalink"].split("?")[0]
    return json.dumps(doc).encode()


def _with_complaint() -> bytes:
    doc = json.loads((FIXTURES / "reddit/search_all_2016.json").read_bytes())
    post = copy.deepcopy(doc)["data"]["children"][0]["data"]
    doc["data"]["children"][0]["data"] = {**post, "selftext": COMPLAINT, "title": "Acme refund nightmare"}
    return json.dumps(doc).encode()


def _two_reddit_sources(engine: Engine, srv: Any) -> tuple[int, int]:
    searched = _with_complaint()
    srv.route("/search.json", Reply(body=searched))
    srv.route("/r/redditdev/new.json", Reply(body=_listing_without_ref(searched)))
    search = add_source(engine, "reddit", query="acme", base_url=srv.url)
    listing = add_source(engine, "reddit", subreddit="redditdev", base_url=srv.url)
    return search, listing


def test_two_sources_crawling_one_post_give_one_queue_item_and_one_alert(engine, fixture_server):
    from alerts.outbox import evaluate
    from sentiment.scoring import Scorer, score_pending
    from sentiment.vader import VaderClassifier
    from tests.alerts.conftest import make_settings, webhook_channel

    search, listing = _two_reddit_sources(engine, fixture_server)
    first = run_crawl(search)
    second = run_crawl(listing)

    assert first.returncode == 0 and second.returncode == 0, second.stderr[-2000:]
    assert (first.summary["new"], second.summary["new"]) == (6, 6)
    assert crawl_run(engine, first.summary["run_id"]).items_duplicate == 0
    assert crawl_run(engine, second.summary["run_id"]).items_duplicate == 6
    assert (first.summary["duplicate"], second.summary["duplicate"]) == (0, 6)  # the crawl's own summary
    originals, copies = mentions_by_id(engine, search), mentions_by_id(engine, listing)
    assert {c.status for c in copies.values()} == {"duplicate"}
    assert {k: c.duplicate_of_id for k, c in copies.items()} == {k: o.id for k, o in originals.items()}

    settings = make_settings()
    webhook_channel(engine, settings, "http://127.0.0.1:9/hook")
    scored = score_pending(Scorer(VaderClassifier(), threshold=0.3), engine=engine)
    raised = evaluate(engine, settings)

    assert scored["taken"] == 6, "the score job never takes a duplicate"
    complaint = mentions_by_id(engine, search)[COMPLAINT_ID]
    assert complaint.status in {s.value for s in ON_QUEUE}
    with engine.connect() as conn:
        queue = (
            conn.execute(select(M.c.id).where(M.c.status.in_([s.value for s in ON_QUEUE]))).scalars().all()
        )
        alerted = conn.execute(select(AL.c.mention_id).where(AL.c.kind == "mention")).scalars().all()
        copy_rows = conn.execute(select(M).where(M.c.source_id == listing)).all()
    assert complaint.id in queue and set(queue) <= {o.id for o in originals.values()}
    assert raised["alerts"] == len(alerted) >= 1 and alerted.count(complaint.id) == 1
    assert set(alerted) <= {o.id for o in originals.values()}
    assert all(
        (r.status, r.scored_at, r.flagged_at, r.sentiment) == ("duplicate", None, None, None)
        for r in copy_rows
    )

    again = run_crawls(search, listing)
    assert [r.summary["new"] for r in again] == [0, 0]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(M)).scalar_one() == 12


def test_two_sources_storing_one_post_at_the_same_moment_keep_exactly_one_original(engine, fixture_server):
    search, listing = _two_reddit_sources(engine, fixture_server)

    results = run_crawls(search, listing)

    assert all(r.returncode == 0 for r in results), results[1].stderr[-2000:]
    with engine.connect() as conn:
        rows = conn.execute(select(M.c.id, M.c.identity_hash, M.c.status, M.c.duplicate_of_id)).all()
    by_identity: dict[str, list[Any]] = {}
    for row in rows:
        by_identity.setdefault(row.identity_hash, []).append(row)
    assert len(by_identity) == 6
    for pair in by_identity.values():
        statuses = sorted(r.status for r in pair)
        assert statuses == [MentionStatus.duplicate.value, MentionStatus.new.value], pair
        original = next(r for r in pair if r.status == "new")
        assert next(r for r in pair if r.status == "duplicate").duplicate_of_id == original.id
    runs = [crawl_run(engine, r.summary["run_id"]) for r in results]
    assert sum(r.items_duplicate for r in runs) == 6


def test_demo_sources_keep_distinct_posts_apart_and_the_hashtag_source_repeats_the_search(engine):
    from bounceback.sources import add_source as add_demo_source
    from bounceback.tables import SourceCreate
    from crawlers.replay import ReplayData, ReplayServer, demo_sources
    from crawlers.sample import build_sample

    frozen = time.time()
    server = ReplayServer(ReplayData(build_sample(300, 7), clock=lambda: frozen)).start_background()
    try:
        ids = {
            s["name"]: add_demo_source(SourceCreate(**s), engine=engine).id for s in demo_sources(server.url)
        }
        tag = ids.pop("northwind-mastodon-tag")
        results = run_crawls(*ids.values())
        tagged = run_crawl(tag)  # after the search, so the search's copies are the originals
    finally:
        server.close()

    assert all(r.returncode == 0 for r in [*results, tagged]), tagged.stderr[-2000:]
    with engine.connect() as conn:
        rows = conn.execute(select(M.c.source_id, M.c.identity_hash, M.c.status, M.c.duplicate_of_id)).all()
        search_ids = dict(
            conn.execute(
                select(M.c.id, M.c.source_id).where(M.c.source_id == ids["northwind-mastodon"])
            ).all()
        )
    others = [r for r in rows if r.source_id != tag]
    assert len({r.identity_hash for r in others}) == len(others), "different posts, different identities"
    assert all(r.status != "duplicate" for r in others)
    copies = [r for r in rows if r.source_id == tag]
    assert copies and all(r.status == "duplicate" and r.duplicate_of_id in search_ids for r in copies)
    assert tagged.summary["new"] == len(copies) == crawl_run(engine, tagged.summary["run_id"]).items_duplicate
