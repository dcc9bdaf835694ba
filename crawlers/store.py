"""Batch upsert of crawled mentions and their authors, in one transaction per batch.

Keyed by (source_id, external_id): a re-crawl adds no rows. A changed text, title or rating updates
the row (version + 1; a mention scored as needing nothing goes back to ``new`` to be scored again)
and keeps the previous text in an ``updated`` Activity; changed engagement
updates the counts; either appends an `EngagementSnapshot` (new mentions get their first one) and,
in the same transaction, marks a young, already triaged mention for re-triage (:mod:`bounceback.retriage`).
Counts a crawl did not give keep their stored value (Reddit's RSS has none, its JSON has them), so
switching a source's format never zeroes its engagement history. A changed ``extra`` (a company
reply appearing, a new app version) replaces the stored one and counts as an update.
One post reached through two sources (same :mod:`bounceback.identity`) is stored once per source, but
a new copy whose identity a mention of another source (not purged) already has is stored with status
``duplicate`` and ``duplicate_of_id`` = the first copy: never scored, queued or alerted; its engagement
still goes to its own row. On PostgreSQL the identities of a batch's new mentions are locked
(``pg_advisory_xact_lock``, in order) so two sources' crawls storing one post at once see each other;
SQLite's ``BEGIN IMMEDIATE`` already serialises them.
Mentions erased by retention or ``forget`` (``purged_at`` set) and erased authors are never
refreshed from a crawl. Inserts use ON CONFLICT DO NOTHING, so two crawls of one source racing
each other (or a crawl re-run after kill -9) cannot duplicate anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, case, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bounceback.identity import identity_hash
from bounceback.retriage import mark
from bounceback.tables import Activity, Author, EngagementSnapshot, Mention
from bounceback.types import ActivityAction, MentionStatus, utcnow
from crawlers.clean import AuthorRow, PreparedMention

M = Mention.__table__  # type: ignore[attr-defined]
AU = Author.__table__  # type: ignore[attr-defined]
S = EngagementSnapshot.__table__  # type: ignore[attr-defined]
A = Activity.__table__  # type: ignore[attr-defined]
CRAWLER_ACTOR = "crawler"
PREVIOUS_TEXT_CHARS = 20_000
# the sorted subquery is not flattened, so the locks are taken in key order, in one round trip
LOCK_IN_ORDER = text(
    "SELECT pg_advisory_xact_lock(k) FROM "
    "(SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS sorted"
)


@dataclass
class UpsertCounts:
    """What one batch did (``parked`` and ``duplicate`` are counted within ``new``)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    parked: int = 0
    duplicate: int = 0


def _insert_ignore(conn: Connection, table: Any, index: list[str]) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=index)


def _upsert_authors(conn: Connection, platform: str, authors: list[AuthorRow]) -> dict[str, int]:
    by_handle = {a.handle: a for a in authors}
    if not by_handle:
        return {}
    now = utcnow()
    conn.execute(
        _insert_ignore(conn, AU, ["platform", "handle"]),
        [
            {
                "platform": platform,
                "handle": a.handle,
                "display_name": a.display_name,
                "url": a.url,
                "followers": a.followers,
                "first_seen_at": now,
                "erased": False,
            }
            for a in by_handle.values()
        ],
    )
    rows = conn.execute(
        select(AU.c.id, AU.c.handle, AU.c.display_name, AU.c.url, AU.c.followers, AU.c.erased).where(
            AU.c.platform == platform, AU.c.handle.in_(list(by_handle))
        )
    ).all()
    changes = []
    for row in rows:
        seen = by_handle[row.handle]
        fresh = {
            "display_name": seen.display_name or row.display_name,
            "url": seen.url or row.url,
            "followers": seen.followers if seen.followers is not None else row.followers,
        }
        if not row.erased and fresh != {
            "display_name": row.display_name,
            "url": row.url,
            "followers": row.followers,
        }:
            changes.append({"b_id": row.id, **fresh})
    if changes:
        conn.execute(
            update(AU)
            .where(AU.c.id == bindparam("b_id"))
            .values(
                display_name=bindparam("display_name"), url=bindparam("url"), followers=bindparam("followers")
            ),
            changes,
        )
    return {row.handle: row.id for row in rows}


def _snapshot(
    mention_id: int, m: PreparedMention, now: Any, counts: dict[str, int] | None = None
) -> dict[str, Any]:
    e = m.engagement if counts is None else counts
    return {
        "mention_id": mention_id,
        "taken_at": now,
        "likes": e.get("likes", 0),
        "replies": e.get("replies", 0),
        "reposts": e.get("reposts", 0),
        "score": e.get("score", 0),
        "followers": m.author.followers if m.author else None,
    }


def upsert_batch(engine: Engine, source_id: int, platform: str, batch: list[PreparedMention]) -> UpsertCounts:
    """Store one batch atomically; returns how many were new, updated, unchanged, parked, duplicate."""
    if not batch:
        return UpsertCounts()
    with engine.begin() as conn:
        return store_batch(conn, source_id, platform, batch)


def store_batch(
    conn: Connection, source_id: int, platform: str, batch: list[PreparedMention]
) -> UpsertCounts:
    """:func:`upsert_batch` inside the caller's transaction."""
    counts = UpsertCounts()
    latest = {m.external_id: m for m in batch}  # the same post twice in a batch: the last wins
    if not latest:
        return counts
    now = utcnow()
    author_ids = _upsert_authors(conn, platform, [m.author for m in latest.values() if m.author])
    existing = {
        row.external_id: row
        for row in conn.execute(
            select(M.c.id, M.c.external_id, M.c.content_hash, M.c.engagement, M.c.extra, M.c.text, M.c.title)
            .where(M.c.source_id == source_id, M.c.external_id.in_(list(latest)))
            .where(M.c.purged_at.is_(None))
        ).all()
    }
    purged = set(
        conn.execute(
            select(M.c.external_id).where(
                M.c.source_id == source_id,
                M.c.external_id.in_(list(latest)),
                M.c.purged_at.is_not(None),
            )
        ).scalars()
    )
    fresh = [m for key, m in latest.items() if key not in existing and key not in purged]
    counts.unchanged += len(purged)
    keys = {m.external_id: identity_hash(platform, m.external_id, m.values.get("url")) for m in fresh}
    originals = _originals(conn, source_id, set(keys.values()))
    first_of = {ext: originals[key] for ext, key in keys.items() if key in originals}
    inserted = _insert_new(conn, source_id, fresh, author_ids, now, keys, first_of)
    counts.new += len(inserted)
    counts.duplicate += sum(1 for key in inserted if key in first_of)
    stored = set(inserted) - set(first_of)
    counts.parked += sum(1 for m in fresh if m.parked_reasons and m.external_id in stored)
    counts.unchanged += len(fresh) - len(inserted)  # a racing crawl stored them first
    snapshots = [_snapshot(mid, latest[key], now) for key, mid in inserted.items()]
    updates, activities = [], []
    for key, row in existing.items():
        m = latest[key]
        text_changed = row.content_hash != m.content_hash
        engagement = {**(row.engagement or {}), **m.engagement}
        engagement_changed = dict(row.engagement or {}) != engagement
        extra_changed = dict(row.extra or {}) != m.values["extra"]
        if not text_changed and not engagement_changed and not extra_changed:
            counts.unchanged += 1
            continue
        counts.updated += 1
        if text_changed or engagement_changed:
            snapshots.append(_snapshot(row.id, m, now, engagement))
        values = {"b_id": row.id, "engagement": engagement, "extra": m.values["extra"], "updated_at": now}
        if text_changed:
            keep = {f: m.values[f] for f in ("title", "text", "rating", "content_hash")}
            rescore = case(
                (M.c.status == MentionStatus.scored.value, MentionStatus.new.value), else_=M.c.status
            )
            conn.execute(
                update(M).where(M.c.id == row.id).values(**keep, status=rescore, version=M.c.version + 1)
            )
            activities.append(
                {
                    "mention_id": row.id,
                    "action": ActivityAction.updated.value,
                    "actor": CRAWLER_ACTOR,
                    "note": (row.text or "")[:PREVIOUS_TEXT_CHARS],
                    "details": {"previous_title": row.title, "previous_hash": row.content_hash},
                    "created_at": now,
                }
            )
        updates.append(values)
    if updates:
        conn.execute(
            update(M)
            .where(M.c.id == bindparam("b_id"))
            .values(
                engagement=bindparam("engagement"),
                extra=bindparam("extra"),
                updated_at=bindparam("updated_at"),
            ),
            updates,
        )
    if snapshots:
        conn.execute(S.insert(), snapshots)
        first = set(inserted.values())
        mark(conn, [s["mention_id"] for s in snapshots if s["mention_id"] not in first], now)
    if activities:
        conn.execute(A.insert(), activities)
    return counts


def _lock_identities(conn: Connection, keys: set[str]) -> None:
    """PostgreSQL: hold a transaction lock per identity (in order, so two batches cannot deadlock)."""
    if conn.dialect.name != "postgresql" or not keys:
        return
    locks = sorted({int(key[:15], 16) for key in keys})
    conn.execute(LOCK_IN_ORDER, {"keys": locks}).all()


def _originals(conn: Connection, source_id: int, keys: set[str]) -> dict[str, int]:
    """identity hash → the first copy of that post stored by another source (not purged)."""
    if not keys:
        return {}
    _lock_identities(conn, keys)
    is_copy = case((M.c.duplicate_of_id.is_(None), 0), else_=1)
    rows = conn.execute(
        select(M.c.identity_hash, M.c.id, M.c.duplicate_of_id)
        .where(M.c.identity_hash.in_(list(keys)), M.c.source_id != source_id, M.c.purged_at.is_(None))
        .order_by(M.c.identity_hash, is_copy, M.c.id)
    ).all()
    first: dict[str, int] = {}
    for row in rows:  # an original first; else the original a live copy points at
        first.setdefault(row.identity_hash, row.duplicate_of_id or row.id)
    return first


def _insert_new(
    conn: Connection,
    source_id: int,
    fresh: list[PreparedMention],
    author_ids: dict[str, int],
    now: Any,
    keys: dict[str, str],
    first_of: dict[str, int],
) -> dict[str, int]:
    """Insert new mentions; returns external_id → id of the rows this call inserted."""
    if not fresh:
        return {}
    rows = []
    for m in fresh:
        parked = "; ".join(m.parked_reasons) or None
        original = first_of.get(m.external_id)
        if original is not None:
            status = MentionStatus.duplicate.value
        else:
            status = MentionStatus.parked.value if parked else MentionStatus.new.value
        rows.append(
            {
                **m.values,
                "source_id": source_id,
                "external_id": m.external_id,
                "author_id": author_ids.get(m.author.handle) if m.author else None,
                "engagement": m.engagement,
                "status": status,
                "identity_hash": keys[m.external_id],
                "duplicate_of_id": original,
                "parked_reason": parked,
                "fetched_at": now,
                "updated_at": now,
                "flag_reasons": [],
                "priority": 0.0,
                "viral_score": 0.0,
                "accelerating": False,
                "version": 1,
            }
        )
    stmt = _insert_ignore(conn, M, ["source_id", "external_id"]).returning(M.c.id, M.c.external_id)
    result = conn.execute(stmt, rows)
    return {row.external_id: row.id for row in result.all()}
