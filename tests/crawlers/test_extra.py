"""``Mention.extra``: what a spider keeps beside the columns reaches the database, bounded and kept current.

Real captures: the Trustpilot page (company replies) and an App Store feed (app version, country).
The re-crawl and hostile cases serve that real page with one reply edited or blown up by the test.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from bounceback.db import make_engine
from bounceback.migrate import current_revision, upgrade
from bounceback.retention import forget_author
from crawlers.clean import MAX_EXTRA_BYTES, MAX_EXTRA_STRING, clean_extra
from tests.crawlers.conftest import FIXTURES, Reply, add_source, mentions_by_id, rows, run_crawl

HTML = "text/html; charset=utf-8"
PAGE = "/review/eventnet.de"
REPLIED = "665426cb1631934fecd8dc87"  # a review the company answered on the captured page
_NEXT_DATA = re.compile(rb'(<script id="__NEXT_DATA__" type="application/json">)(.*?)(</script>)', re.S)


def _page_with(change) -> bytes:
    """The real Trustpilot page with its embedded reviews passed through ``change``."""
    raw = (FIXTURES / "trustpilot/review_page_2024.html").read_bytes()
    match = _NEXT_DATA.search(raw)
    assert match, "the capture embeds __NEXT_DATA__"
    data = json.loads(match.group(2))
    change({r["id"]: r for r in data["props"]["pageProps"]["reviews"]})
    body = json.dumps(data, ensure_ascii=False).encode()
    return raw[: match.start(2)] + body + raw[match.end(2) :]


def test_trustpilot_company_replies_are_stored_field_by_field(engine, fixture_server):
    fixture_server.route(PAGE, Reply.file("trustpilot/review_page_2024.html", content_type=HTML))
    source_id = add_source(engine, "trustpilot", company="eventnet.de", base_url=fixture_server.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    stored = mentions_by_id(engine, source_id)
    assert stored[REPLIED].extra == {
        "country": "DE",
        "company_reply": {
            "text": "Vielen lieben Dank für die tolle Bewertung!",
            "published_at": "2024-05-28T12:48:25.000Z",
        },
    }
    assert stored["663b609359ffb1461c348a8e"].extra["company_reply"]["text"] == "Danke 🙌"
    replied = {k for k, m in stored.items() if "company_reply" in m.extra}
    assert replied == {
        REPLIED,
        "663b609359ffb1461c348a8e",
        "663cf09c78076725ee455e4d",
        "663b387173b1bd1953c659a9",
    }
    unanswered = stored["667d00c443645513f3ae5f18"]
    assert unanswered.extra == {"country": "DE"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_forgetting_a_reviewer_drops_the_free_text_of_their_reviews_extra(engine, fixture_server):
    fixture_server.route(PAGE, Reply.file("trustpilot/review_page_2024.html", content_type=HTML))
    source_id = add_source(engine, "trustpilot", company="eventnet.de", base_url=fixture_server.url)
    assert run_crawl(source_id).returncode == 0
    reviewer = mentions_by_id(engine, source_id)[REPLIED].author_handle

    forget_author(f"trustpilot:{reviewer}", engine=engine)

    stored = mentions_by_id(engine, source_id)
    assert stored[REPLIED].extra == {"company_reply": {}}  # no reply text, no country
    assert (
        stored["663b609359ffb1461c348a8e"].extra["company_reply"]["text"] == "Danke 🙌"
    )  # others keep theirs


def test_appstore_app_version_and_country_are_stored(engine, fixture_server):
    path = "/gb/rss/customerreviews/page=1/id=1510826067/sortby=mostrecent/json"
    fixture_server.route(path, Reply.file("appstore/jcoynel_1510826067_gb_1.json"))
    source_id = add_source(engine, "appstore", app_id="1510826067", country="gb", base_url=fixture_server.url)

    result = run_crawl(source_id)

    assert result.returncode == 0, result.stderr[-2000:]
    stored = mentions_by_id(engine, source_id)
    assert {k: m.extra for k, m in stored.items()} == {
        "6504352127": {"country": "gb", "app_version": "1.1.0"},
        "6108405527": {"country": "gb", "app_version": "1.0.1"},
        "6096833863": {"country": "gb", "app_version": "1.0.1"},
        "6091772301": {"country": "gb", "app_version": "1.0.0"},
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_new_reply_updates_extra_on_recrawl_and_a_huge_one_is_cut_with_a_reason(engine, fixture_server):
    def replied_later(reviews):
        reviews["667d00c443645513f3ae5f18"]["reply"] = {
            "message": "Danke, Saskia!",
            "publishedDate": "2024-06-28T09:00:00.000Z",
            "updatedDate": None,
        }
        reviews[REPLIED]["reply"]["message"] = "😀" * 50_000 + "\x00"  # hostile: 200 KB and a NUL

    fixture_server.route(
        PAGE,
        Reply.file("trustpilot/review_page_2024.html", content_type=HTML),
        Reply(body=_page_with(replied_later), content_type=HTML),
    )
    source_id = add_source(engine, "trustpilot", company="eventnet.de", base_url=fixture_server.url)
    first = run_crawl(source_id)
    assert first.returncode == 0, first.stderr[-2000:]
    before = mentions_by_id(engine, source_id)

    second = run_crawl(source_id)

    assert second.returncode == 0, second.stderr[-2000:]
    assert (second.summary["new"], second.summary["updated"], second.summary["unchanged"]) == (0, 2, 18)
    after = mentions_by_id(engine, source_id)
    saskia = after["667d00c443645513f3ae5f18"]
    assert saskia.extra["company_reply"] == {
        "text": "Danke, Saskia!",
        "published_at": "2024-06-28T09:00:00.000Z",
    }
    assert saskia.version == before["667d00c443645513f3ae5f18"].version == 1  # the review itself is unchanged
    huge = after[REPLIED].extra
    assert huge["company_reply"]["text"].startswith("😀😀😀")
    assert huge["company_reply"]["text"].endswith(
        f"[truncated by bounceback: 50000 characters, {MAX_EXTRA_STRING} kept]"
    )
    assert "\x00" not in huge["company_reply"]["text"]
    assert huge["_trimmed"] == f"trimmed by bounceback: strings cut to {MAX_EXTRA_STRING} characters"
    size = rows(
        engine, "SELECT length(CAST(extra AS TEXT)) AS n FROM mention WHERE id = :i", i=after[REPLIED].id
    )
    assert size[0].n < MAX_EXTRA_BYTES
    snapshots = rows(engine, "SELECT count(*) AS n FROM engagementsnapshot")[0].n
    assert snapshots == 20  # a reply is not engagement: no new snapshot


def test_clean_extra_caps_the_size_keeping_the_small_keys_and_saying_what_went():
    hostile = {
        "company_reply": {"text": "Thanks!", "published_at": "2024-05-28T12:48:25Z"},
        "blob": ["é" * 3_000] * 40,  # 720 KB stored (é is written \u00e9), each string under the cap
        "deep": {"a": {"b": {"c": {"d": {"e": 1}}}}},
        "nan": float("nan"),
        "huge_int": 10**5000,
        "many": list(range(500)),
        "bad\x00key": "lone \ud800 surrogate",
    }

    out = clean_extra(hostile)

    assert out["company_reply"] == {"text": "Thanks!", "published_at": "2024-05-28T12:48:25Z"}
    assert "blob" not in out
    assert out["deep"] == {"a": {"b": {"c": None}}}
    assert out["nan"] is None and out["huge_int"] is None and len(out["many"]) == 50
    assert out["badkey"] == "lone ? surrogate"
    note = out["_trimmed"]
    assert (
        f"over the {MAX_EXTRA_BYTES}-byte cap: dropped 'blob'" in note
        and "nesting deeper than 4 dropped" in note
    )
    assert len(json.dumps(out)) <= MAX_EXTRA_BYTES
    assert clean_extra({}) == {} and clean_extra({"country": "DE"}) == {"country": "DE"}


def test_migration_0002_gives_mentions_stored_before_it_an_empty_extra(empty_db):
    engine = make_engine(empty_db)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO source (kind, name, params, interval_seconds, enabled, created_at, state, "
                "consecutive_failures) VALUES ('feed', 'old', '{}', 900, true, CURRENT_TIMESTAMP, '{}', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO mention (source_id, external_id, text, status, priority, viral_score, "
                "accelerating, flag_reasons, engagement, fetched_at, updated_at, version) VALUES ("
                "(SELECT id FROM source), 'x', 'an old mention', 'new', 0, 0, false, '[]', '{}', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
            )
        )

    upgrade(engine)

    assert current_revision(engine) != "0001"
    with engine.connect() as conn:
        extra = conn.execute(text("SELECT extra FROM mention WHERE external_id = 'x'")).scalar_one()
    assert (json.loads(extra) if isinstance(extra, str) else extra) == {}
    engine.dispose()
