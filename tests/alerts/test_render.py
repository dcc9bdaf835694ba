"""Rendering: every channel shows scraped text as inert text with the facts a person needs."""

from __future__ import annotations

import re

from alerts.message import Notice, item_link, plain_text
from alerts.render.email import build_message, header_value, html_body
from alerts.render.slack import escape, render
from tests.alerts.hostile import HOSTILE


def _item(text: str, **kw):
    return {
        "mention_id": 7,
        "severity": "high",
        "source": "acme-reddit",
        "source_kind": "reddit",
        "author": "bob",
        "reach": 12300,
        "title": "Refund please",
        "excerpt": text,
        "reasons": ["negative", "refund"],
        "sentiment": "negative",
        "confidence": 0.91,
        "viral_score": 0.82,
        "accelerating": True,
        "link": item_link("https://care.example.com", 7),
        "url": "https://reddit.com/r/acme/1",
        **kw,
    }


def test_message_names_severity_source_author_reach_reasons_trend_and_dashboard_link():
    text = plain_text(Notice(kind="mention", items=[_item("it broke")], severity="high", dedup_keys=["k"]))
    for expected in (
        "HIGH",
        "acme-reddit (reddit)",
        "bob, reach 12,300",
        "negative; refund",
        "viral score 0.82, accelerating",
        "> it broke",
        "https://care.example.com/item?id=7",
    ):
        assert expected in text


def test_grouped_message_shows_count_and_the_rest_as_a_number():
    items = [_item(f"complaint {n}", incident_id=3, incident_title="Checkout down") for n in range(12)]
    notice = Notice(kind="mention", items=items, count=12, severity="high")
    text = plain_text(notice)
    assert "12 complaints in incident #3: Checkout down" in text
    assert "and 7 more in this group" in text


def test_slack_escape_turns_control_characters_into_entities():
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def _our_links(text: str) -> list[str]:
    return re.findall(r"<([^<>]*)>", text)


def test_slack_message_of_hostile_text_contains_no_special_sequence_but_our_links():
    for hostile in HOSTILE:
        message = render(
            Notice(
                kind="mention",
                items=[_item(hostile, author=hostile, title=hostile)],
                severity="high",
                dedup_keys=["k"],
            )
        )
        texts = [message["text"]] + [b["text"]["text"] for b in message["blocks"] if "text" in b]
        for text in texts:
            for inner in _our_links(text):
                assert inner.startswith(
                    ("https://care.example.com/item?id=7|", "https://reddit.com/r/acme/1|")
                )


def test_slack_link_of_scraped_url_cannot_break_out_of_its_brackets():
    message = render(Notice(kind="mention", items=[_item("x", url="https://e.example/a|<!channel>")]))
    body = message["blocks"][2]["text"]["text"]
    assert "<!channel>" not in body
    assert "<https://e.example/a%7C%3C!channel%3E|original post>" in body


def test_email_header_values_fold_cr_lf_into_spaces():
    assert header_value("Refund\r\nBcc: victim@example.com") == "Refund Bcc: victim@example.com"


def test_email_of_hostile_text_has_only_our_headers_and_escaped_html():
    for hostile in HOSTILE:
        notice = Notice(
            kind="mention",
            items=[
                _item(
                    hostile,
                    title=hostile,
                    author=hostile,
                    incident_id=1,
                    incident_title=hostile,
                    source=hostile,
                )
            ],
            count=2,
            severity="high",
            dedup_keys=["k"],
        )
        msg = build_message(notice, "alerts@example.com", ["care@example.com"])
        assert sorted(msg.keys()) == sorted(
            [
                "Subject",
                "From",
                "To",
                "Date",
                "Message-ID",
                "X-Bounceback-Alert",
                "MIME-Version",
                "Content-Type",
            ]
        )
        assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
        html = html_body(notice)
        assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<svg" not in html
        assert 'href="javascript' not in html
