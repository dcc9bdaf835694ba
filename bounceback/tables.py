"""The database tables (SQLModel). Every stage meets the others here, never in code.

Vocabularies (status, severity, outcome, role …) live in :mod:`bounceback.types` and are stored as
their string values. Times are timezone-aware UTC (:class:`bounceback.types.UTCDateTime`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel

from bounceback.types import UTCDateTime, utcnow


def _json(default: Any = dict) -> Any:
    return Field(default_factory=default, sa_type=JSON, nullable=False)


def _when(*, index: bool = False, nullable: bool = True) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, index=index, nullable=False)


class SourceBase(SQLModel):
    kind: str = Field(max_length=32)
    name: str = Field(max_length=200, unique=True)
    params: dict[str, Any] = _json()
    interval_seconds: int = 900
    enabled: bool = True


class SourceCreate(SourceBase):
    """What `bounceback source add` and the settings page accept."""


class Source(SourceBase, table=True):
    """A place to crawl, with its health."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _when(nullable=False)
    state: dict[str, Any] = _json()  # crawler's cursor, ETag, Last-Modified, newest seen id
    last_crawl_at: datetime | None = _when()
    last_success_at: datetime | None = _when()
    last_error_at: datetime | None = _when()
    last_error: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = 0
    incomplete_since: datetime | None = _when()  # dead-man: data since then may be missing


class Watch(SQLModel, table=True):
    """What to listen for: brand terms, exclusion terms (disambiguation), languages."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    terms: list[str] = _json(list)
    exclude_terms: list[str] = _json(list)
    languages: list[str] = _json(list)
    enabled: bool = True
    created_at: datetime = _when(nullable=False)


class Author(SQLModel, table=True):
    """A person on one platform."""

    __table_args__ = (UniqueConstraint("platform", "handle", name="uq_author_platform_handle"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    handle: str = Field(max_length=300)
    display_name: str | None = Field(default=None, max_length=300)
    url: str | None = Field(default=None, max_length=2000)
    followers: int | None = None
    first_seen_at: datetime = _when(nullable=False)
    erased: bool = False


class MentionPublic(SQLModel):
    """The fields the dashboard and alerts show of a mention."""

    source_id: int = Field(foreign_key="source.id", index=True)
    external_id: str = Field(max_length=300)
    url: str | None = Field(default=None, max_length=2000)
    author_id: int | None = Field(default=None, foreign_key="author.id", index=True)
    title: str | None = Field(default=None, sa_type=Text)
    text: str = Field(default="", sa_type=Text)
    rating: float | None = None
    language: str | None = Field(default=None, max_length=16)
    published_at: datetime | None = _when(index=True)
    status: str = Field(default="new", max_length=16)
    severity: str | None = Field(default=None, max_length=16)
    priority: float = 0.0
    viral_score: float = 0.0
    accelerating: bool = False
    reach: int | None = None
    sentiment: str | None = Field(default=None, max_length=16)
    confidence: float | None = None
    flag_reasons: list[str] = _json(list)
    match_reason: str | None = Field(default=None, sa_type=Text)


class Mention(MentionPublic, table=True):
    """One public post or review; unique per (source, external id)."""

    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_mention_source_external"),
        # Covers the dashboard queue (order, counts, common filters) without reading the rows.
        Index(
            "ix_mention_queue",
            "status",
            "priority",
            "sla_due_at",
            "first_claimed_at",
            "flagged_at",
            "fetched_at",
            "severity",
            "language",
            "source_id",
        ),
        Index("ix_mention_fetched", "fetched_at"),
        Index("ix_mention_claimed", "claimed_by", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    watch_id: int | None = Field(default=None, foreign_key="watch.id")
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    related_mention_id: int | None = Field(default=None, foreign_key="mention.id")
    # bounceback.identity: the same post seen through two sources has one identity; the later copy
    # is stored with status ``duplicate`` and points at the first
    identity_hash: str | None = Field(default=None, max_length=64, index=True)
    duplicate_of_id: int | None = Field(default=None, foreign_key="mention.id", index=True)
    engagement: dict[str, Any] = _json()
    # what a spider keeps beside the columns (company reply, app version, subreddit …), size-capped
    extra: dict[str, Any] = Field(
        default_factory=dict,
        sa_type=JSON,
        nullable=False,
        sa_column_kwargs={"server_default": sql_text("'{}'")},
    )
    raw_ref: str | None = Field(default=None, max_length=2000)
    content_hash: str | None = Field(default=None, max_length=64)
    fetched_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)
    scored_at: datetime | None = _when()
    flagged_at: datetime | None = _when()
    parked_reason: str | None = Field(default=None, sa_type=Text)
    claimed_by: str | None = Field(default=None, max_length=150)
    claimed_at: datetime | None = _when()
    first_claimed_at: datetime | None = _when()
    escalated_at: datetime | None = _when()
    sla_due_at: datetime | None = _when()
    resolved_at: datetime | None = _when(index=True)
    resolved_by: str | None = Field(default=None, max_length=150)
    outcome: str | None = Field(default=None, max_length=32)
    follow_up_at: datetime | None = _when()
    purged_at: datetime | None = _when()  # text and author details erased (retention or `forget`)
    # bounceback.retriage: engagement grew on a young mention, the score job re-judges it (then clears)
    retriage_at: datetime | None = _when(index=True)
    # when a re-judgement last changed its spread, severity or flag (the alert rules read past it)
    retriaged_at: datetime | None = _when(index=True)
    version: int = 1


class EngagementSnapshot(SQLModel, table=True):
    """Engagement counts of a mention at one moment; successive rows give velocity."""

    __table_args__ = (Index("ix_snapshot_mention_time", "mention_id", "taken_at"),)

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id")
    taken_at: datetime = _when(nullable=False)
    likes: int = 0
    replies: int = 0
    reposts: int = 0
    score: int = 0
    followers: int | None = None


class Score(SQLModel, table=True):
    """One model's verdict on a mention; re-scoring adds rows, never replaces them."""

    __table_args__ = (Index("ix_score_mention", "mention_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id")
    model: str = Field(max_length=200)
    revision: str = Field(max_length=100)
    label: str = Field(max_length=16)
    confidence: float
    probabilities: dict[str, float] = _json()
    language: str | None = Field(default=None, max_length=16)
    created_at: datetime = _when(nullable=False)


class Incident(SQLModel, table=True):
    """Similar complaints from the same window, handled as one."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    status: str = Field(default="open", max_length=16, index=True)
    severity: str | None = Field(default=None, max_length=16)
    mention_count: int = 0
    opened_at: datetime = _when(nullable=False)
    last_seen_at: datetime = _when(nullable=False)
    centroid: list[float] = _json(list)
    keywords: list[str] = _json(list)
    source_ids: list[int] = _json(list)
    claimed_by: str | None = Field(default=None, max_length=150)
    claimed_at: datetime | None = _when()
    resolved_at: datetime | None = _when()
    outcome: str | None = Field(default=None, max_length=32)
    version: int = 1


class Channel(SQLModel, table=True):
    """Somewhere alerts go: kind (slack, email, webhook, apprise …) and its non-secret config."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=32)
    config: dict[str, Any] = _json()
    quiet_hours: str | None = Field(default=None, max_length=32)  # "22:00-07:00" in the channel's tz
    timezone: str = Field(default="UTC", max_length=64)
    enabled: bool = True
    created_at: datetime = _when(nullable=False)


class Rule(SQLModel, table=True):
    """Conditions on a flagged mention or incident → a channel."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    conditions: dict[str, Any] = _json()
    enabled: bool = True
    created_at: datetime = _when(nullable=False)


class Alert(SQLModel, table=True):
    """The outbox: written in the transaction that caused it, delivered later, exactly once."""

    __table_args__ = (Index("ix_alert_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(max_length=300, unique=True)
    channel_id: int | None = Field(default=None, foreign_key="channel.id")
    rule_id: int | None = Field(default=None, foreign_key="rule.id")
    kind: str = Field(default="mention", max_length=32)  # mention, incident, escalation, digest, ops, test
    mention_id: int | None = Field(default=None, foreign_key="mention.id", index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    group_key: str | None = Field(default=None, max_length=300, index=True)
    severity: str | None = Field(default=None, max_length=16)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _when(nullable=False)
    last_error: str | None = Field(default=None, sa_type=Text)
    payload: dict[str, Any] = _json()
    created_at: datetime = _when(nullable=False)
    sent_at: datetime | None = _when()


class Activity(SQLModel, table=True):
    """Every action on a mention or incident: who, what, when."""

    __table_args__ = (Index("ix_activity_mention", "mention_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int | None = Field(default=None, foreign_key="mention.id")
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    action: str = Field(max_length=32)
    actor: str = Field(max_length=150)
    note: str | None = Field(default=None, sa_type=Text)
    details: dict[str, Any] = _json()
    created_at: datetime = _when(nullable=False, index=True)


class Correction(SQLModel, table=True):
    """A person's relabel of a mention; `bounceback model retrain` trains on the sentiment labels."""

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id", index=True)
    label: str = Field(max_length=32)
    by: str = Field(max_length=150)
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _when(nullable=False)


class CrawlRun(SQLModel, table=True):
    """One crawl of one source: counts and errors."""

    __table_args__ = (Index("ix_crawlrun_source_started", "source_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id")
    status: str = Field(default="running", max_length=16)
    started_at: datetime = _when(nullable=False)
    finished_at: datetime | None = _when()
    pid: int | None = None
    pages: int = 0
    items_new: int = 0
    items_updated: int = 0
    items_unchanged: int = 0
    items_parked: int = 0
    # of items_new: stored with status ``duplicate`` (another source had the post first)
    items_duplicate: int = Field(default=0, sa_column_kwargs={"server_default": sql_text("0")})
    errors: list[dict[str, Any]] = _json(list)


class User(SQLModel, table=True):
    """A dashboard user; passwords are argon2 hashes."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=150, unique=True)
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=300)
    role: str = Field(default="agent", max_length=16)
    password_hash: str = Field(max_length=300)
    active: bool = True
    created_at: datetime = _when(nullable=False)
    last_seen_queue_at: datetime | None = _when()


class JobRun(SQLModel, table=True):
    """One run of a scheduled job, for `bounceback status` and the logs."""

    __table_args__ = (Index("ix_jobrun_job_started", "job", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=100)
    started_at: datetime = _when(nullable=False)
    finished_at: datetime | None = _when()
    status: str = Field(default="running", max_length=16)
    counts: dict[str, Any] = _json()
    error: str | None = Field(default=None, sa_type=Text)
    holder: str | None = Field(default=None, max_length=200)


class Lease(SQLModel, table=True):
    """Leadership of a named role (the scheduler) held until ``expires_at``."""

    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=200)
    expires_at: datetime = _when(nullable=False)


class AppSetting(SQLModel, table=True):
    """Settings an admin changes at run time (SLA per severity …), as JSON values."""

    key: str = Field(primary_key=True, max_length=100)
    value: Any = Field(default=None, sa_type=JSON)
    updated_at: datetime = _when(nullable=False)
    updated_by: str | None = Field(default=None, max_length=150)


metadata = SQLModel.metadata
