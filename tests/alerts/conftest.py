"""Fixtures for the alerts tests: real local HTTP and SMTP peers, settings, seeded rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from alerts.channels import add_channel
from alerts.rules import add_rule, default_rules, remove_rule
from bounceback.settings import Settings
from bounceback.tables import Channel, Mention, Source
from tests.alerts.peers import ScriptedHTTPServer, SMTPPeer
from tests.factories import make_mention, make_source

NOW = datetime.fromisoformat("2026-03-02T12:00:00+00:00")  # a Monday, noon UTC


@pytest.fixture
def http_server() -> Iterator[ScriptedHTTPServer]:
    server = ScriptedHTTPServer()
    yield server
    server.close()


@pytest.fixture
def smtp_peer() -> Iterator[SMTPPeer]:
    peer = SMTPPeer()
    yield peer
    peer.close()


def make_settings(**overrides: Any) -> Settings:
    """Settings from the test environment (bb_env) plus overrides."""
    base: dict[str, Any] = {
        "allow_private_urls": True,
        "webhook_secret": "hook-secret-123",
        "alert_group_window_seconds": 0,
        "alert_cooldown_seconds": 0,
        "dashboard_url": "https://care.example.com",
    }
    return Settings(**{**base, **overrides})


def webhook_channel(engine: Engine, settings: Settings, url: str, name: str = "hook", **kw: Any) -> Channel:
    """A stored webhook channel with a catch-all flag rule (no test message)."""
    channel, _, made = add_channel(
        name,
        "webhook",
        {"url": url, "timeout": kw.pop("timeout", 2)},
        test=False,
        engine=engine,
        settings=settings,
        **kw,
    )
    if made:  # tests choose their rules themselves
        for rule in default_rules(0):
            remove_rule(rule.name, engine=engine)
    add_rule(f"all-{name}", name, {"event": "flagged"}, engine=engine)
    return channel


def flagged(engine: Engine, source: Source | None = None, when: datetime = NOW, **kw: Any) -> Mention:
    """A flagged (open) negative mention."""
    fields: dict[str, Any] = {
        "severity": "high",
        "sentiment": "negative",
        "confidence": 0.93,
        "flag_reasons": ["negative", "refund"],
        "flagged_at": when,
        "reach": 1200,
        "viral_score": 0.4,
        "text": "the app lost my order",
        **kw,
    }
    return make_mention(engine, source or make_source(engine), **fields)


def flagged_many(engine: Engine, source: Source, count: int, when: datetime = NOW) -> None:
    """``count`` flagged negative mentions of ``source``, stored in one statement."""
    from sqlalchemy import insert

    from alerts.sql import M

    rows = [
        {
            "source_id": source.id,
            "external_id": f"bulk-{uuid.uuid4().hex}",
            "status": "open",
            "severity": "high",
            "sentiment": "negative",
            "text": f"complaint {n}",
            "flagged_at": when,
            "flag_reasons": ["negative"],
            "engagement": {},
            "fetched_at": when,
            "updated_at": when,
        }
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(M), rows)
