"""Retention and erasure: personal data goes, the counts that trends need stay.

A purged mention keeps its row (source, times, sentiment, severity, status, outcome: what the trend
charts count) with its text, title, URL, raw reference, content hash and match reason blanked, the
free text of its ``extra`` (a company's reply, a country) dropped, and ``purged_at`` set as the
marker. Its activity notes, alert payloads and correction notes lose their free text; the
engagement snapshots lose the follower count. An author left with only purged mentions
loses handle, display name, URL and follower count and is marked ``erased``.

:func:`purge_expired` does that for everything fetched more than ``retention_days`` ago (a scheduler
job); :func:`forget_author` does it now for one person, and also strikes their handle and display name
from everyone else's text (replies that quote them, notes that name them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Text, and_, cast, delete, or_, select, update
from sqlalchemy.engine import Connection

from bounceback.db import get_engine
from bounceback.errors import InvalidInput, NotFound
from bounceback.lifecycle import log_activity
from bounceback.tables import (
    Activity,
    Alert,
    Author,
    Correction,
    CrawlRun,
    EngagementSnapshot,
    Incident,
    JobRun,
    Mention,
)
from bounceback.types import ActivityAction, utcnow

M = Mention.__table__  # type: ignore[attr-defined]
AU = Author.__table__  # type: ignore[attr-defined]
AC = Activity.__table__  # type: ignore[attr-defined]
AL = Alert.__table__  # type: ignore[attr-defined]
CO = Correction.__table__  # type: ignore[attr-defined]
ES = EngagementSnapshot.__table__  # type: ignore[attr-defined]
IN = Incident.__table__  # type: ignore[attr-defined]
BATCH = 500
ERASED = "[erased]"
PURGED_TITLE = "[purged]"
JOB_RUN_KEEP_DAYS = 14  # job runs (one per job per tick) are kept two weeks at most
MIN_NAME_LENGTH = 3  # shorter handles are not struck from other people's text (too many false hits)
# String values kept when scrubbing JSON: vocabularies, never free text.
SAFE_KEYS = frozenset({"outcome", "label", "status", "severity", "action", "kind", "follow_up_at", "reason"})


def scrub_json(value: Any, key: str | None = None) -> Any:
    """Keep numbers, booleans and vocabulary strings (``SAFE_KEYS``); drop every other string."""
    if isinstance(value, dict):
        kept = {k: scrub_json(v, k) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not _DROP}
    if isinstance(value, list):
        return [v for v in (scrub_json(v) for v in value) if v is not _DROP]
    if isinstance(value, str):
        return value if key in SAFE_KEYS and len(value) <= 40 else _DROP
    return value


_DROP: Any = object()


def _purge_mentions(conn: Connection, ids: list[int], now: datetime) -> set[int]:
    """Blank the text of these mentions and of everything attached to them; returns their authors."""
    rows = conn.execute(select(M.c.id, M.c.author_id, M.c.engagement, M.c.extra).where(M.c.id.in_(ids))).all()
    for row in rows:
        conn.execute(
            update(M)
            .where(M.c.id == row.id)
            .values(
                text="",
                title=None,
                url=None,
                raw_ref=None,
                content_hash=None,
                match_reason=None,
                parked_reason=None,
                engagement=scrub_json(row.engagement or {}),
                extra=scrub_json(row.extra or {}),
                purged_at=now,
                updated_at=now,
                version=M.c.version + 1,
            )
        )
    for act in conn.execute(select(AC.c.id, AC.c.details).where(AC.c.mention_id.in_(ids))).all():
        conn.execute(
            update(AC).where(AC.c.id == act.id).values(note=None, details=scrub_json(act.details or {}))
        )
    for alert in conn.execute(select(AL.c.id, AL.c.payload).where(AL.c.mention_id.in_(ids))).all():
        payload = {"purged": True, **scrub_json(alert.payload or {})}
        conn.execute(update(AL).where(AL.c.id == alert.id).values(payload=payload))
    conn.execute(
        update(AL)
        .where(AL.c.mention_id.in_(ids), AL.c.status.in_(["pending", "sending"]))
        .values(status="suppressed", last_error="the mention's text was erased")
    )
    conn.execute(update(CO).where(CO.c.mention_id.in_(ids)).values(note=None))
    conn.execute(update(ES).where(ES.c.mention_id.in_(ids)).values(followers=None))
    return {row.author_id for row in rows if row.author_id is not None}


def _erase_authors(conn: Connection, author_ids: Iterable[int], *, only_if_all_purged: bool) -> int:
    erased = 0
    for author_id in author_ids:
        if only_if_all_purged:
            live = conn.execute(
                select(M.c.id).where(M.c.author_id == author_id, M.c.purged_at.is_(None)).limit(1)
            ).first()
            if live is not None:
                continue
        erased += conn.execute(
            update(AU)
            .where(AU.c.id == author_id)
            .values(handle=f"erased-{author_id}", display_name=None, url=None, followers=None, erased=True)
        ).rowcount
    return erased


def purge_expired(
    retention_days: int, *, engine: Engine | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Purge what was fetched more than ``retention_days`` ago; returns counts (a scheduler job)."""
    engine = engine or get_engine()
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    counts = {"mentions": 0, "authors": 0, "incidents": 0, "alerts": 0, "runs_deleted": 0}
    while True:
        with engine.begin() as conn:
            ids = list(
                conn.execute(
                    select(M.c.id).where(M.c.fetched_at < cutoff, M.c.purged_at.is_(None)).limit(BATCH)
                ).scalars()
            )
            if not ids:
                break
            authors = _purge_mentions(conn, ids, now)
            counts["mentions"] += len(ids)
            counts["authors"] += _erase_authors(conn, authors, only_if_all_purged=True)
    with engine.begin() as conn:
        old_alerts = conn.execute(
            select(AL.c.id, AL.c.payload).where(
                AL.c.created_at < cutoff, AL.c.status.notin_(["pending", "sending"])
            )
        ).all()
        for alert in old_alerts:
            if not (alert.payload or {}).get("purged"):
                payload = {"purged": True, **scrub_json(alert.payload or {})}
                conn.execute(update(AL).where(AL.c.id == alert.id).values(payload=payload))
                counts["alerts"] += 1
        counts["incidents"] = conn.execute(
            update(IN)
            .where(IN.c.last_seen_at < cutoff, IN.c.title != PURGED_TITLE)
            .values(title=PURGED_TITLE, keywords=[], centroid=[])
        ).rowcount
        crawl_runs = CrawlRun.__table__  # type: ignore[attr-defined]
        job_runs = JobRun.__table__  # type: ignore[attr-defined]
        job_cutoff = max(cutoff, now - timedelta(days=JOB_RUN_KEEP_DAYS))  # many rows a day, little value
        counts["runs_deleted"] += conn.execute(
            delete(crawl_runs).where(crawl_runs.c.started_at < cutoff)
        ).rowcount
        counts["runs_deleted"] += conn.execute(
            delete(job_runs).where(job_runs.c.started_at < job_cutoff)
        ).rowcount
    return counts


def find_author(ref: str, *, engine: Engine | None = None) -> tuple[int, str, str, str | None]:
    """(id, platform, handle, display name) of ``ref``: an author id or ``platform:handle``."""
    ref = ref.strip()
    if ref.isdigit():
        where: Any = AU.c.id == int(ref)
    elif ":" in ref:
        platform, _, handle = ref.partition(":")
        handles = {handle.strip(), handle.strip().lstrip("@")}
        where = and_(AU.c.platform == platform.strip().lower(), AU.c.handle.in_(handles))
    else:
        raise InvalidInput(f"{ref!r}: give an author id or PLATFORM:HANDLE (e.g. reddit:someone)")
    with (engine or get_engine()).connect() as conn:
        row = conn.execute(
            select(AU.c.id, AU.c.platform, AU.c.handle, AU.c.display_name).where(where)
        ).first()
    if row is None:
        raise NotFound(f"no author {ref!r}")
    return int(row.id), row.platform, row.handle, row.display_name


def _name_pattern(names: Iterable[str | None]) -> re.Pattern[str] | None:
    usable = sorted(
        {n.strip() for n in names if n and len(n.strip()) >= MIN_NAME_LENGTH}, key=len, reverse=True
    )
    if not usable:
        return None
    alternatives = "|".join(re.escape(n) for n in usable)
    return re.compile(rf"(?<![\w])@?(?:{alternatives})(?![\w])", re.IGNORECASE)


def _strike(conn: Connection, pattern: re.Pattern[str], names: list[str]) -> int:
    """Replace the names in every other text and JSON column that can hold them."""
    changed = 0
    text_columns = [(M, M.c.text), (M, M.c.title), (AC, AC.c.note), (CO, CO.c.note), (IN, IN.c.title)]
    json_columns = [(AC, AC.c.details), (AL, AL.c.payload), (IN, IN.c.keywords), (M, M.c.flag_reasons)]
    json_columns.append((M, M.c.extra))  # a company's reply may name them
    for table, column in text_columns:
        like = or_(*(column.ilike(f"%{n}%") for n in names))
        for row in conn.execute(select(table.c.id, column).where(like)).all():
            new = pattern.sub(ERASED, row[1] or "")
            if new != row[1]:
                changed += conn.execute(
                    update(table).where(table.c.id == row.id).values({column.name: new})
                ).rowcount
    for table, column in json_columns:
        like = or_(*(cast(column, Text).ilike(f"%{n}%") for n in names))
        for row in conn.execute(select(table.c.id, column).where(like)).all():
            dumped = json.dumps(row[1], ensure_ascii=False)
            new = pattern.sub(ERASED, dumped)
            if new != dumped:
                value = json.loads(new)
                changed += conn.execute(
                    update(table).where(table.c.id == row.id).values({column.name: value})
                ).rowcount
    return changed


def forget_author(ref: str, *, actor: str = "admin", engine: Engine | None = None) -> dict[str, int]:
    """Erase one person everywhere now: their mentions' text, their author row, mentions of their name."""
    engine = engine or get_engine()
    author_id, _platform, handle, display_name = find_author(ref, engine=engine)
    now = utcnow()
    names = [n for n in (handle, handle.lstrip("@"), display_name) if n and len(n) >= MIN_NAME_LENGTH]
    pattern = _name_pattern(names)
    with engine.begin() as conn:
        ids = list(conn.execute(select(M.c.id).where(M.c.author_id == author_id)).scalars())
        for start in range(0, len(ids), BATCH):
            _purge_mentions(conn, ids[start : start + BATCH], now)
        _erase_authors(conn, [author_id], only_if_all_purged=False)
        struck = _strike(conn, pattern, names) if pattern else 0
        for mention_id in ids:
            log_activity(
                conn, ActivityAction.erased, actor, mention_id=mention_id, details={"author_id": author_id}
            )
    return {"author_id": author_id, "mentions": len(ids), "other_texts": struck}
