"""What the admin's Settings page changes: SLA per severity, product name, rules, channels, users.

Sources, watches and users go through the kernel's own functions (the CLI uses the same ones);
rules and channels are plain rows the alerts stage reads.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import col

from bounceback.db import session
from bounceback.errors import InvalidInput
from bounceback.settings import SEVERITIES
from bounceback.tables import Channel, Rule, User
from dashboard.queries.common import PRODUCT_KEY, SLA_KEY, get_app_setting, set_app_setting, sla_minutes

CHANNEL_KINDS = ("slack", "email", "webhook", "apprise")

__all__ = [
    "CHANNEL_KINDS",
    "add_channel",
    "add_rule",
    "get_product_name",
    "list_channels",
    "list_rules",
    "parse_json_object",
    "save_sla_minutes",
    "set_channel_enabled",
    "set_product_name",
    "set_rule_enabled",
    "set_user_active",
    "sla_minutes",
]


def save_sla_minutes(values: dict[str, int], by: str, *, engine: Engine | None = None) -> dict[str, int]:
    """Store minutes-to-first-claim per severity; every value must be a positive whole number."""
    clean: dict[str, int] = {}
    for severity in SEVERITIES:
        minutes = values.get(severity)
        if minutes is None:
            continue
        if not isinstance(minutes, int) or minutes <= 0:
            raise InvalidInput(f"SLA for {severity} must be a positive number of minutes")
        clean[severity] = minutes
    set_app_setting(SLA_KEY, clean, by, engine=engine)
    return sla_minutes(engine=engine)


def get_product_name(*, engine: Engine | None = None) -> str:
    """The product name reply templates use when a mention has no watch."""
    return str(get_app_setting(PRODUCT_KEY, "our service", engine=engine))


def set_product_name(name: str, by: str, *, engine: Engine | None = None) -> None:
    """Store the product name used in replies."""
    if not name.strip():
        raise InvalidInput("the product name is empty")
    set_app_setting(PRODUCT_KEY, name.strip(), by, engine=engine)


def parse_json_object(text: str, what: str) -> dict[str, Any]:
    """``text`` parsed as a JSON object (empty text → {}); raises InvalidInput naming ``what``."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(value, dict):
        raise InvalidInput(f'{what} must be a JSON object like {{"key": "value"}}')
    return value


def list_channels(*, engine: Engine | None = None) -> list[Channel]:
    """Every alert channel, by name."""
    with session(engine, readonly=True) as sess:
        return list(sess.execute(select(Channel).order_by(col(Channel.name))).scalars())


def add_channel(
    name: str,
    kind: str,
    config: dict[str, Any],
    *,
    quiet_hours: str | None = None,
    timezone: str = "UTC",
    engine: Engine | None = None,
) -> Channel:
    """Store an alert channel (secrets belong in settings, not here)."""
    if not name.strip():
        raise InvalidInput("a channel needs a name")
    if kind not in CHANNEL_KINDS:
        raise InvalidInput(f"unknown channel kind {kind!r}; choose one of {', '.join(CHANNEL_KINDS)}")
    with session(engine) as sess:
        if sess.execute(select(col(Channel.id)).where(col(Channel.name) == name.strip())).first():
            raise InvalidInput(f"a channel named {name!r} already exists")
        channel = Channel(
            name=name.strip(), kind=kind, config=config, quiet_hours=quiet_hours or None, timezone=timezone
        )
        sess.add(channel)
        sess.flush()
        return channel


def set_channel_enabled(channel_id: int, enabled: bool, *, engine: Engine | None = None) -> None:
    """Enable or disable a channel."""
    with session(engine) as sess:
        sess.execute(update(Channel).where(col(Channel.id) == channel_id).values(enabled=enabled))


def list_rules(*, engine: Engine | None = None) -> list[Rule]:
    """Every alert rule, by name."""
    with session(engine, readonly=True) as sess:
        return list(sess.execute(select(Rule).order_by(col(Rule.name))).scalars())


def add_rule(name: str, channel_id: int, conditions: dict[str, Any], *, engine: Engine | None = None) -> Rule:
    """Store a rule sending matching mentions to a channel."""
    if not name.strip():
        raise InvalidInput("a rule needs a name")
    with session(engine) as sess:
        if sess.get(Channel, channel_id) is None:
            raise InvalidInput(f"channel {channel_id} does not exist")
        if sess.execute(select(col(Rule.id)).where(col(Rule.name) == name.strip())).first():
            raise InvalidInput(f"a rule named {name!r} already exists")
        rule = Rule(name=name.strip(), channel_id=channel_id, conditions=conditions)
        sess.add(rule)
        sess.flush()
        return rule


def set_rule_enabled(rule_id: int, enabled: bool, *, engine: Engine | None = None) -> None:
    """Enable or disable a rule."""
    with session(engine) as sess:
        sess.execute(update(Rule).where(col(Rule.id) == rule_id).values(enabled=enabled))


def set_user_active(username: str, active: bool, *, engine: Engine | None = None) -> None:
    """Let a user log in, or stop them."""
    with session(engine) as sess:
        sess.execute(update(User).where(col(User.username) == username).values(active=active))
