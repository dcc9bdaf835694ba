"""Fifty hostile scraped strings go through the outbox to Slack, email and a webhook as inert text."""

from __future__ import annotations

import json
import re

import pytest

from alerts.channels import add_channel
from alerts.delivery import deliver
from alerts.message import clean_text
from alerts.outbox import evaluate
from alerts.rules import add_rule
from tests.alerts.conftest import NOW, flagged, make_settings
from tests.alerts.hostile import HOSTILE
from tests.alerts.peers import ScriptedHTTPServer, SMTPPeer
from tests.factories import make_author, make_source

# what this file tests is rendering and command plumbing, not storage: SQLite is enough
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


OUR_LINK = re.compile(
    r"^(https://care\.example\.com/item\?id=\d+|https?://[^\s<>|]+)\|(Open in bounceback|original post)$"
)


def _slack_texts(body: dict) -> list[str]:
    texts = [body["text"]]
    for block in body["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [e["text"] for e in block.get("elements", [])]
    return texts


def test_hostile_strings_arrive_inert_on_slack_email_and_webhook(
    engine, http_server: ScriptedHTTPServer, smtp_peer: SMTPPeer
):
    settings = make_settings()
    slack = ScriptedHTTPServer()
    try:
        add_channel(
            "slack",
            "slack",
            {"webhook_url": slack.url + "/services/T/B/X"},
            test=False,
            engine=engine,
            settings=settings,
        )
        add_channel(
            "mail",
            "email",
            {
                "host": "127.0.0.1",
                "port": smtp_peer.port,
                "security": "none",
                "sender": "alerts@example.com",
                "to": ["care@example.com"],
            },
            test=False,
            engine=engine,
            settings=settings,
        )
        add_channel("hook", "webhook", {"url": http_server.url}, test=False, engine=engine, settings=settings)
        for name in ("slack", "mail", "hook"):
            add_rule(f"all-{name}", name, {"event": "flagged"}, engine=engine)
        source = make_source(engine)
        for n, hostile in enumerate(HOSTILE):
            author = make_author(engine, handle=f"h{n}", display_name=hostile[-250:])
            flagged(
                engine,
                source,
                title=hostile,
                text=f"before {hostile} after",
                author_id=author.id,
                flag_reasons=[hostile],
                url=f"https://forum.example/t/{n}?q={hostile[:20]}",
            )
        assert evaluate(engine, settings, now=NOW)["alerts"] == 150
        assert deliver(engine, settings, now=NOW)["messages"] == 150

        assert len(slack.received) == 50
        for req in slack.received:
            for text in _slack_texts(req.json):
                for inner in re.findall(r"<([^>]*)>", text):
                    assert OUR_LINK.match(inner), f"live Slack sequence <{inner}> in {text!r}"

        assert len(smtp_peer.messages) == 50
        for msg in smtp_peer.messages:
            assert sorted(k.lower() for k in msg) == sorted(
                [
                    "subject",
                    "from",
                    "to",
                    "date",
                    "message-id",
                    "x-bounceback-alert",
                    "mime-version",
                    "content-type",
                ]
            )
            html = msg.get_body(("html",)).get_content()
            for tag in ("<script", "<img", "<iframe", "<svg", "<style", "<h1>big", 'href="javascript'):
                assert tag not in html
        assert all(rcpts == ["care@example.com"] for _, rcpts in smtp_peer.envelopes)  # no smuggled Bcc
        plains = "\n".join(m.get_body(("plain",)).get_content() for m in smtp_peer.messages)
        assert "<script>alert(1)</script>" in plains  # delivered verbatim as plain text, not dropped

        assert len(http_server.received) == 50
        got = {clean_text(item["title"], 300) for r in http_server.received for item in r.json["items"]}
        assert got == {clean_text(h, 300) for h in HOSTILE}
        assert all(
            json.loads(r.body)["items"][0]["excerpt"].startswith("before") for r in http_server.received
        )
    finally:
        slack.close()
