"""Column types and vocabularies shared by every table."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only clock the kernel reads)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both SQLite (stored naive) and PostgreSQL (timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StrEnum(enum.StrEnum):
    """A string enum whose value is what the database stores."""


class SourceKind(StrEnum):
    reddit = "reddit"
    hackernews = "hackernews"
    mastodon = "mastodon"
    bluesky = "bluesky"
    appstore = "appstore"
    googleplay = "googleplay"
    trustpilot = "trustpilot"
    schemaorg = "schemaorg"
    feed = "feed"


class MentionStatus(StrEnum):
    new = "new"  # stored by a crawler, not yet scored
    scored = "scored"  # scored, not flagged: no action needed
    open = "open"  # flagged: on the queue
    claimed = "claimed"
    escalated = "escalated"
    reopened = "reopened"
    resolved = "resolved"
    dismissed = "dismissed"
    parked = "parked"  # could not be processed; parked_reason says why
    duplicate = "duplicate"  # another source's copy of a post already stored: duplicate_of_id; never triaged


CLAIMABLE = (
    MentionStatus.new,
    MentionStatus.scored,
    MentionStatus.open,
    MentionStatus.escalated,
    MentionStatus.reopened,
)
ON_QUEUE = (MentionStatus.open, MentionStatus.claimed, MentionStatus.escalated, MentionStatus.reopened)
CLOSED = (MentionStatus.resolved, MentionStatus.dismissed)


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"

    @property
    def rank(self) -> int:
        """critical 4 … low 1, for comparisons."""
        return {"critical": 4, "high": 3, "medium": 2, "low": 1}[self.value]


class Outcome(StrEnum):
    apologised = "apologised"
    fixed = "fixed"
    compensated = "compensated"
    no_action = "no_action"
    not_ours = "not_ours"


class Role(StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    marketing = "marketing"
    admin = "admin"


class ActivityAction(StrEnum):
    created = "created"
    updated = "updated"
    scored = "scored"
    flagged = "flagged"
    claimed = "claimed"
    released = "released"
    claim_expired = "claim_expired"
    note = "note"
    replied = "replied"
    escalated = "escalated"
    resolved = "resolved"
    dismissed = "dismissed"
    reopened = "reopened"
    follow_up = "follow_up"
    relabelled = "relabelled"
    alerted = "alerted"
    retriaged = "retriaged"  # engagement grew: spread, severity or flag re-judged by the score job
    erased = "erased"


class AlertStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    grouped = "grouped"  # folded into another alert's grouped message
    suppressed = "suppressed"  # cooldown / quiet hours, with the reason in last_error
    dead = "dead"  # permanent failure or attempts exhausted


class CrawlStatus(StrEnum):
    running = "running"
    ok = "ok"
    failed = "failed"
    killed = "killed"
    abandoned = "abandoned"  # stopped because its scheduler shut down: not the source's failure
