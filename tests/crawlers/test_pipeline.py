"""The pipeline on hostile and odd input, and Watch filtering, through a real crawl into the database."""

from __future__ import annotations

import copy
import json

import pytest

from bounceback.db import session
from bounceback.tables import Watch
from tests.crawlers.conftest import FIXTURES, Reply, add_source, crawl_run, mentions_by_id, run_crawl

NEW = "/r/askreddit/new.json"


def hostile_listing() -> bytes:
    """The real r/AskReddit page with a few posts turned hostile or odd (the rest untouched)."""
    listing = json.loads((FIXTURES / "reddit/subreddit_new_2016.json").read_bytes())
    kids = listing["data"]["children"]
    listing["data"]["after"] = None
    kids[0]["data"]["selftext"] = "Acme lost my order\x00 and \x07rang" + "ж" * 60_000
    kids[1]["data"].update(permalink="", url="javascript:alert(document.cookie)")
    kids[2]["data"].update(title="", selftext="")
    del kids[3]["data"]["id"], kids[3]["data"]["name"]
    kids[4]["data"]["author"] = "[deleted]"
    kids[5]["data"].update(score=10**12, ups=10**12)
    kids[6]["data"]["name"] = "t3_" + "9" * 400
    kids[7]["data"]["title"] = "<script>alert(1)</script> \u202egnp.exe <!channel>"
    kids.append(copy.deepcopy(kids[8]))  # the same post twice on one page
    return json.dumps(listing).encode()


def test_hostile_posts_are_cleaned_or_parked_with_a_reason_and_nothing_is_lost(engine, fixture_server):
    srv = fixture_server
    srv.route(NEW, Reply(body=hostile_listing))
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)
    original = json.loads((FIXTURES / "reddit/subreddit_new_2016.json").read_bytes())["data"]["children"]

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    s = result.summary
    assert (s["new"], s["parked"], s["parse_failures"]) == (99, 2, 1)
    run = crawl_run(engine, s["run_id"])
    assert (
        run.items_parked == 2 and run.errors[0]["kind"] == "parse" and "KeyError" in run.errors[0]["reason"]
    )
    stored = mentions_by_id(engine, source_id)
    assert len(stored) == 99

    huge = stored[original[0]["data"]["name"]]
    assert huge.text.startswith("Acme lost my order and rang")  # NUL and BEL removed
    assert huge.text.endswith("[truncated by bounceback: 60027 characters, 40000 kept]")
    assert "truncated" in huge.match_reason and huge.status == "new"

    unsafe = stored[original[1]["data"]["name"]]
    assert unsafe.url is None and unsafe.status == "parked"
    assert unsafe.parked_reason == "unsafe URL scheme 'javascript' dropped"
    empty = stored[original[2]["data"]["name"]]
    assert (empty.status, empty.parked_reason) == ("parked", "empty text")
    assert original[3]["data"]["name"] not in stored
    assert stored[original[4]["data"]["name"]].author_id is None
    assert stored[original[5]["data"]["name"]].engagement["score"] == 2**31 - 1
    long_id = [k for k in stored if k.startswith("sha256:")]
    assert len(long_id) == 1 and len(long_id[0]) == 7 + 64
    script = stored[original[7]["data"]["name"]]
    assert (
        script.title == "<script>alert(1)</script> \u202egnp.exe <!channel>"
    )  # kept verbatim; escaped on display
    assert stored[original[8]["data"]["name"]].status == "new"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_watch_terms_keep_matches_with_their_reason_and_exclusions_drop_the_rest(engine, fixture_server):
    with session(engine) as sess:
        sess.add(Watch(name="food", terms=["pizza", "teddy bear"]))
        sess.add(Watch(name="brand", terms=["Reddit"], exclude_terms=["Parents of Reddit", "reddit CEO"]))
        sess.add(Watch(name="off", terms=["the"], enabled=False))
        sess.flush()
        food_id = sess.query(Watch).filter_by(name="food").one().id
        brand_id = sess.query(Watch).filter_by(name="brand").one().id
    srv = fixture_server
    srv.route(NEW, Reply.file("reddit/subreddit_new_2016.json"))
    srv.route(NEW, Reply.file("reddit/empty_listing_2016.json"), query={"after": "t3_48f6io"})
    source_id = add_source(engine, "reddit", subreddit="askreddit", base_url=srv.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    stored = mentions_by_id(engine, source_id)
    assert sorted(stored) == sorted(
        [
            "t3_48f7pw",
            "t3_48fb9o",
            "t3_48fasr",
            "t3_48fa8w",
            "t3_48f9n8",
            "t3_48f8s4",
            "t3_48f8gv",
            "t3_48f8g2",
        ]
    )
    assert result.summary["filtered"] == 92
    pizza = stored["t3_48f7pw"]
    assert (pizza.watch_id, pizza.match_reason) == (food_id, 'watch "food": term "pizza" in title')
    friends = stored["t3_48f9n8"]
    assert (friends.watch_id, friends.match_reason) == (brand_id, 'watch "brand": term "Reddit" in title')
    assert "t3_48fbm9" not in stored and "t3_48f7hr" not in stored  # excluded phrases
