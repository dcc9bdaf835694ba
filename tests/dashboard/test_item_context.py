"""The item page's "Context from the source" (Mention.extra) and the other copies of one post."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bounceback.db import session
from bounceback.tables import Mention, Source
from dashboard.queries import item as items
from dashboard.ui import md
from tests.dashboard.apptest_helpers import assert_inert, log_in, markdown_texts
from tests.dashboard.hostile import PAYLOADS
from tests.dashboard.seed import seed

TRUSTPILOT_EXTRA = {
    "country": "de",
    "company_reply": {"text": "Sorry! We sent a new one.", "published_at": "2024-05-28T12:48:25Z"},
}
HOSTILE_REPLY = "<script>alert(1)</script> [refund](javascript:alert(1)) :red[**urgent**]\n# Call us"


def _add(engine: Any, kind: str, name: str, **fields: Any) -> tuple[int, int]:
    """A source of ``kind`` and one mention on it; returns (source id, mention id)."""
    with session(engine) as sess:
        source = Source(kind=kind, name=name, params={})
        sess.add(source)
        sess.flush()
        values: dict[str, Any] = {"external_id": f"{name}-1", "text": "it broke", "status": "open", **fields}
        mention = Mention(source_id=source.id, **values)
        sess.add(mention)
        sess.flush()
        assert source.id is not None and mention.id is not None
        return source.id, mention.id


def test_source_context_labels_what_each_spider_keeps():
    tp = items.source_context(TRUSTPILOT_EXTRA)
    assert tp.reply == items.CompanyReply(
        "Sorry! We sent a new one.", datetime(2024, 5, 28, 12, 48, 25, tzinfo=UTC), "2024-05-28T12:48:25Z"
    )
    assert tp.fields == [items.ContextField("Country", "DE")]
    store = items.source_context({"country": "gb", "app_version": "2.4.1", "lang": "en"})
    assert [(f.label, f.text) for f in store.fields] == [
        ("Country", "GB"),
        ("App version", "2.4.1"),
        ("Review language", "en"),
    ]
    reddit = items.source_context({"subreddit": "acme", "over_18": False})
    assert [(f.label, f.text) for f in reddit.fields] == [("Subreddit", "r/acme")]
    assert items.source_context({"over_18": True}).fields == [items.ContextField("Marked NSFW", "yes")]
    hn = items.source_context({"kind": "story", "link": "https://acme.example/post", "story_id": None})
    assert hn.fields == [
        items.ContextField("Type", "story"),
        items.ContextField("Linked page", "https://acme.example/post", "https://acme.example/post"),
    ]
    assert items.source_context({}).empty and items.source_context(None).empty  # type: ignore[arg-type]


def test_unknown_keys_show_generically_unsafe_links_are_text_and_trimming_is_noted():
    context = items.source_context(
        {
            "store_rank": 3,
            "tags": ["slow", "refund"],
            "comments": "javascript:alert(1)",
            "company_reply": {"published_at": "2024-01-01"},  # no text: not a reply, shown as data
            "blurb": "x" * 1000,
            "_trimmed": "trimmed by bounceback: 70000 bytes over the 65536-byte cap: dropped 'blob'",
        }
    )
    shown = {f.label: f for f in context.fields}
    assert shown["Store rank"].text == "3" and shown["Tags"].text == '["slow", "refund"]'
    assert shown["Comments"] == items.ContextField("Comments", "javascript:alert(1)", None)
    assert context.reply is None and "published_at" in shown["Company reply"].text
    assert len(shown["Blurb"].text) == items.EXTRA_VALUE_CHARS
    assert context.trimmed == "cut at 64 KB (70000 bytes over the 65536-byte cap: dropped 'blob')"
    other = items.source_context({"_trimmed": "trimmed by bounceback: nesting deeper than 4 dropped"})
    assert other.trimmed == "nesting deeper than 4 dropped" and not other.empty


def test_load_item_lists_the_other_copies_and_a_duplicate_points_at_its_original(engine):
    url = "https://www.reddit.com/r/acme/comments/a/b/"
    _, first = _add(engine, "reddit", "acme-search", url=url)
    _, second = _add(engine, "reddit", "acme-sub", url=url, status="duplicate", duplicate_of_id=first)
    _, third = _add(
        engine, "feed", "acme-alerts", url="javascript:x", status="duplicate", duplicate_of_id=first
    )
    _, alone = _add(engine, "reddit", "acme-other")

    original = items.load_item(first, engine=engine)
    copy = items.load_item(second, engine=engine)

    assert original.original is None
    assert original.copies == [
        items.Copy(second, "acme-sub", url),
        items.Copy(third, "acme-alerts", None),  # never a javascript: link
    ]
    assert copy.original == items.Copy(first, "acme-search", url)
    assert copy.copies == [items.Copy(third, "acme-alerts", None)]
    assert items.load_item(alone, engine=engine).copies == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_item_page_shows_source_context_with_a_hostile_company_reply_as_text(engine):
    seed(engine)
    extra = {
        "country": "de",
        "company_reply": {"text": HOSTILE_REPLY, "published_at": "2024-05-28T12:48:25Z"},
        "link": "javascript:alert(1)",
        PAYLOADS[5]: PAYLOADS[0],  # a hostile key and value, shown generically
        "_trimmed": "trimmed by bounceback: 70000 bytes over the 65536-byte cap: dropped 'blob'",
    }
    _, mention_id = _add(engine, "trustpilot", "acme-tp", extra=extra, url="https://www.trustpilot.com/r/1")

    at = log_in("sue")
    at.query_params["id"] = str(mention_id)
    at.switch_page("views/item.py").run()

    assert_inert(at)
    texts = "\n".join(markdown_texts(at))
    assert "**Context from the source**" in texts
    assert "Company reply · 2024-05-28 12:48 UTC" in texts
    assert [t.value for t in at.text] == [HOSTILE_REPLY]  # st.text: shown as typed, never rendered
    assert "Country: DE" in texts and f"Linked page: {md('javascript:alert(1)')}" in texts
    assert f"{md(PAYLOADS[5].capitalize())}: {md(PAYLOADS[0])}" in texts
    assert "cut at 64 KB" in texts
    assert [b.proto.url for b in at.get("link_button")] == ["https://www.trustpilot.com/r/1"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_item_page_of_a_post_lists_its_copies_and_a_duplicate_sends_the_agent_to_the_original(engine):
    seed(engine)
    url = "https://www.reddit.com/r/acme/comments/a/b/"
    _, first = _add(engine, "reddit", "acme-search", url=url)
    _, second = _add(engine, "reddit", PAYLOADS[1], url=url, status="duplicate", duplicate_of_id=first)

    at = log_in("sue")
    at.query_params["id"] = str(first)
    at.switch_page("views/item.py").run()
    assert_inert(at)
    assert f"Also seen via **{md(PAYLOADS[1])}**" in markdown_texts(at)
    assert any(b.label == "Claim" for b in at.button)

    at.query_params["id"] = str(second)
    at.switch_page("views/item.py").run()
    assert_inert(at)
    notice = " ".join(re.sub(r"\\(.)", r"\1", i.value) for i in at.info)  # as the reader sees it
    assert f"first stored via acme-search as #{first}." in notice, notice
    assert any(p.proto.label == f"Open the original #{first}" for p in at.get("page_link"))
    assert not any(b.label in ("Claim", "Save correction") for b in at.button), "actions are on the original"
