"""Channels: where alerts go. Add (validated and tested with a real message), list, test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import col

from alerts.errors import DeliveryError
from alerts.message import Notice
from alerts.notifiers import notifier_class
from alerts.notifiers.base import Notifier
from alerts.redact import scrub
from alerts.rules import default_rules
from alerts.sql import CH
from alerts.storm import parse_quiet_hours, zone
from bounceback.db import session
from bounceback.errors import InvalidInput, NotFound
from bounceback.settings import Settings, get_settings
from bounceback.tables import Channel
from bounceback.types import utcnow

CHANNEL_KEYS = ("digest",)  # channel-level options kept in Channel.config beside the notifier's
DIGEST_PERIODS = ("daily", "weekly")


def notifier_config(config: dict[str, Any]) -> dict[str, Any]:
    """The part of a channel's config its notifier reads."""
    return {k: v for k, v in config.items() if k not in CHANNEL_KEYS}


def make_notifier(channel: Channel, settings: Settings | None = None) -> Notifier:
    """A notifier for ``channel`` (validates its config: `InvalidInput` if wrong)."""
    return notifier_class(channel.kind)(notifier_config(channel.config), settings or get_settings())


@dataclass(frozen=True)
class TestResult:
    """The outcome of sending a test message."""

    channel: str
    target: str
    ok: bool
    error: str | None = None
    permanent: bool = False


def send_test(channel: Channel, settings: Settings | None = None) -> TestResult:
    """Send a real test message through ``channel`` now; the result says exactly what failed."""
    notifier = make_notifier(channel, settings)
    notice = Notice(
        kind="test",
        items=[
            {
                "text": f"Test message for channel {channel.name!r}. "
                "If you can read this, alerts will arrive here."
            }
        ],
        dedup_keys=[f"test:{channel.name}:{utcnow().isoformat()}"],
    )
    try:
        notifier.send(notice)
    except DeliveryError as exc:
        return TestResult(channel.name, notifier.target(), False, exc.message, exc.permanent)
    finally:
        notifier.close()
    return TestResult(channel.name, notifier.target(), True)


def add_channel(
    name: str,
    kind: str,
    config: dict[str, Any],
    *,
    quiet_hours: str | None = None,
    timezone: str = "UTC",
    digest: str | None = None,
    test: bool = True,
    engine: Engine | None = None,
    settings: Settings | None = None,
) -> tuple[Channel, TestResult | None, bool]:
    """Validate, optionally test, and store a channel; returns (channel, test result, default rules made).

    A channel whose test message fails is not stored (the result says why); pass ``test=False`` to
    store it anyway. The first channel gets the default rule set (unless it is a digest-only channel).
    """
    settings = settings or get_settings()
    if not name.strip():
        raise InvalidInput("a channel needs a name")
    if quiet_hours:
        parse_quiet_hours(quiet_hours)
    zone(timezone)
    if digest and digest not in DIGEST_PERIODS:
        raise InvalidInput(f"digest must be one of {', '.join(DIGEST_PERIODS)}")
    clean = {k: v for k, v in config.items() if v not in (None, "", [])}
    channel = Channel(
        name=name,
        kind=kind,
        quiet_hours=quiet_hours or None,
        timezone=timezone,
        config={
            **make_notifier(Channel(name=name, kind=kind, config=clean), settings).config,
            **({"digest": digest} if digest else {}),
        },
    )
    result = send_test(channel, settings) if test else None
    if result is not None and not result.ok:
        return channel, result, False
    with session(engine) as sess:
        if sess.execute(select(CH.c.id).where(CH.c.name == name)).first():
            raise InvalidInput(f"a channel named {name!r} already exists")
        first = not sess.execute(select(func.count()).select_from(CH)).scalar_one()
        sess.add(channel)
        sess.flush()
        assert channel.id is not None
        made = first and not digest
        if made:
            for rule in default_rules(channel.id):
                sess.add(rule)
    return channel, result, made


def get_channel(name: str, *, engine: Engine | None = None) -> Channel:
    """The channel named ``name``, or `NotFound`."""
    with session(engine, readonly=True) as sess:
        channel = sess.execute(select(Channel).where(col(Channel.name) == name)).scalar_one_or_none()
    if channel is None:
        raise NotFound(f"no channel named {name!r} (see `bounceback channel list`)")
    return channel


def list_channels(*, engine: Engine | None = None) -> list[Channel]:
    """Every channel, oldest first."""
    with session(engine, readonly=True) as sess:
        return list(sess.execute(select(Channel).order_by(col(Channel.id))).scalars())


def describe_target(channel: Channel, settings: Settings | None = None) -> str:
    """Where the channel sends, secrets redacted (or why its config is invalid)."""
    try:
        return make_notifier(channel, settings).target()
    except InvalidInput as exc:
        values = [str(v) for v in channel.config.values() if isinstance(v, str)]
        return f"invalid config: {scrub(str(exc), values)}"
