"""Re-triage: mentions marked by the crawl stage (engagement grew while young, `bounceback.retriage`)
are judged again in each scoring pass, without running the sentiment model again.

The mention's latest `Score` gives the label and probabilities (a star rating alone, or a language no
model reads, is judged as in first scoring); the `Scorer`'s own triage, the one first scoring uses,
gives the new viral score, acceleration, severity, priority and flag. Batches: on PostgreSQL one
transaction takes marked rows with ``FOR UPDATE SKIP LOCKED``; on SQLite the batch is read, judged,
then written with ``UPDATE ... WHERE retriage_at = <the mark read> AND status = <the status read>``:
a mark a crawl renewed meanwhile, or a mention an agent changed, is left for the next pass.

What changes: a ``scored`` mention that is now flagged goes on the queue (``flagged_at`` set, as any
flag); one on the queue keeps its status and claim and gets its new severity, priority and reasons
(engagement never takes it off the queue); resolved and dismissed ones keep everything but the
spread figures. A newly flagged mention the model read joins incident grouping, as in first scoring
(the Scorer's own `sentiment.grouping`). A change that matters to a person (becoming accelerating or
viral, the viral score moving by ``VIRAL_STEP`` or more either way, severity, the flag) is logged as a
``retriaged`` activity and stamps ``retriaged_at``, which the alert evaluation reads; a purely
downward change of spread (acceleration ending, a small drop) only updates the row, so a busy post's
activity log is not flooded. The mark is cleared either way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from bounceback.db import get_engine
from bounceback.lifecycle import log_activity
from bounceback.tables import Score
from bounceback.types import CLOSED, ON_QUEUE, ActivityAction, MentionStatus
from sentiment.base import Prediction
from sentiment.batches import drain, run_batch
from sentiment.context import MENTION_COLUMNS, BatchContext, M, load_context
from sentiment.scoring import ACTOR, Outcome, Scorer
from sentiment.textprep import EMPTY_TEXT, prepare
from sentiment.triage import VIRAL_HIGH
from sentiment.virality import virality

log = logging.getLogger(__name__)
SC = Score.__table__  # type: ignore[attr-defined]
VIRAL_STEP = 0.2  # a smaller move of the viral score (unless it crosses VIRAL_HIGH) is not worth a line
COLUMNS = (
    *MENTION_COLUMNS,
    M.c.retriage_at,
    M.c.severity,
    M.c.viral_score,
    M.c.accelerating,
    M.c.language,
)
QUEUED = {s.value for s in ON_QUEUE}
COUNTS = (
    "retriaged",
    "retriage_changed",
    "retriage_flagged",
    "retriage_skipped",
    "retriage_incident_members",
)
FINAL = {s.value for s in CLOSED}


@dataclass
class Rejudged:
    """One marked mention judged again: the outcome, what is written, and what changed."""

    row: Any
    out: Outcome
    values: dict[str, Any] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    flagged_now: bool = False


def take_marked(conn: Connection, batch_size: int, *, lock: bool) -> list[Any]:
    """The oldest marks first; on PostgreSQL locked, skipping rows another scorer holds."""
    query = (
        select(*COLUMNS)
        .where(M.c.retriage_at.is_not(None))
        .order_by(M.c.retriage_at, M.c.id)
        .limit(batch_size)
    )
    if lock:
        query = query.with_for_update(skip_locked=True, of=M)
    return list(conn.execute(query).all())


def latest_scores(conn: Connection, ids: Sequence[int]) -> dict[int, Any]:
    """mention id → its newest `Score` row."""
    latest: dict[int, Any] = {}
    rows = conn.execute(
        select(SC).where(SC.c.mention_id.in_(list(ids))).order_by(SC.c.mention_id, SC.c.created_at, SC.c.id)
    )
    for row in rows:
        latest[row.mention_id] = row
    return latest


def _outcome(row: Any, score: Any | None) -> tuple[Outcome, bool]:
    """The outcome first scoring would start triage from, and whether there is anything to judge by."""
    out = Outcome(row.id, row.status, language=row.language)
    try:
        prepared = prepare(row.title, row.text)
    except Exception as exc:  # unreadable now: only the spread figures are refreshed
        log.warning("mention %s cannot be prepared for re-triage: %s", row.id, exc)
        return out, False
    out.reasons.extend(prepared.notes)
    if prepared.text is None:  # a star rating without words is judged on the rating, as at first
        out.rating_only = row.rating is not None and prepared.parked_reason == EMPTY_TEXT
        if out.rating_only:
            out.reasons.append("no text: judged by the star rating alone")
        return out, out.rating_only
    out.text = prepared.text
    if score is None:  # no model read its language: judged by rating, words and watch match, as at first
        out.unsupported_language = True
        return out, True
    out.prediction = Prediction(score.label, score.confidence, dict(score.probabilities or {}))
    out.model, out.revision = score.model, score.revision
    out.language = score.language or row.language
    return out, True


def rejudge(scorer: Scorer, rows: Sequence[Any], ctx: BatchContext, scores: dict[int, Any]) -> list[Rejudged]:
    """Judge every marked row again with ``scorer``'s triage; the model is not run."""
    now = scorer.clock()
    judged: list[Rejudged] = []
    for row in rows:
        out, has_verdict = _outcome(row, scores.get(row.id))
        if has_verdict:
            scorer._triage(row, out, ctx, now)
        else:
            out.reach = ctx.reach(row)
            spread = virality(
                ctx.snapshots.get(row.id, []), row.published_at, out.reach, ctx.usual.get(row.source_id, 5.0)
            )
            out.viral_score, out.accelerating = spread.score, spread.accelerating
        judged.append(_values(row, out, now))
    return judged


def judge(scorer: Scorer, rows: Sequence[Any], ctx: BatchContext, scores: dict[int, Any]) -> list[Rejudged]:
    """`rejudge`, then the embedder loaded for the newly flagged, before SQLite's write lock."""
    judged = rejudge(scorer, rows, ctx, scores)
    scorer.warm_embedder([item.out for item in judged if item.flagged_now])
    return judged


def _values(row: Any, out: Outcome, now: datetime) -> Rejudged:
    """What to write for one re-judged mention, and the changes worth telling."""
    item = Rejudged(row, out)
    values = item.values
    values |= {"viral_score": out.viral_score, "accelerating": out.accelerating, "reach": out.reach}
    verdict = out.verdict
    severity = row.severity
    if verdict is not None and row.status not in FINAL and (verdict.flagged or row.status not in QUEUED):
        severity = verdict.severity
        values |= {
            "severity": severity,
            "priority": verdict.priority,
            "flag_reasons": out.reasons,
            "match_reason": out.match_reason,
        }
        if verdict.flagged and row.status == MentionStatus.scored.value:
            item.flagged_now = True
            values |= {"status": out.status, "flagged_at": now, "version": M.c.version + 1}
            if out.related_mention_id is not None:
                values["related_mention_id"] = out.related_mention_id
    spread = []
    before = row.viral_score or 0.0
    if abs(out.viral_score - before) >= VIRAL_STEP or before < VIRAL_HIGH <= out.viral_score:
        spread.append(f"viral score {before:.2f} → {out.viral_score:.2f}")
    if out.accelerating and not row.accelerating:
        spread.append("accelerating")
    elif spread and row.accelerating and not out.accelerating:  # told only beside a change that matters
        spread.append("no longer accelerating")
    if spread:
        item.changes.append(", ".join(spread))
    if severity != row.severity and row.severity is not None:
        item.changes.append(f"severity {row.severity} → {severity}")
    if item.flagged_now:
        item.changes.append("flagged: " + "; ".join(verdict.reasons if verdict else [])[:500])
    return item


def write(scorer: Scorer, conn: Connection, judged: Sequence[Rejudged], now: datetime) -> dict[str, int]:
    """Store the re-judged rows whose mark and status are as read; clear their marks; log the changes;
    newly flagged complaints join incident grouping."""
    counts = dict.fromkeys(COUNTS, 0)
    grouped: list[Outcome] = []
    for item in judged:
        row, values = item.row, dict(item.values)
        values["retriage_at"] = None
        if item.changes:
            values["retriaged_at"] = now
        stmt = (
            update(M)
            .where(M.c.id == row.id, M.c.retriage_at == row.retriage_at, M.c.status == row.status)
            .values(**values)
        )
        if conn.execute(stmt).rowcount != 1:
            counts["retriage_skipped"] += 1
            continue
        counts["retriaged"] += 1
        if not item.changes:
            continue
        counts["retriage_changed"] += 1
        details = {
            "viral_score": [row.viral_score, item.out.viral_score],
            "accelerating": [bool(row.accelerating), item.out.accelerating],
            "severity": [row.severity, values.get("severity", row.severity)],
            "status": [row.status, values.get("status", row.status)],
        }
        note = "; ".join(item.changes)[:2000]
        log_activity(conn, ActivityAction.retriaged, ACTOR, mention_id=row.id, note=note, details=details)
        if item.flagged_now:
            counts["retriage_flagged"] += 1
            grouped.append(item.out)
            log_activity(
                conn,
                ActivityAction.flagged,
                ACTOR,
                mention_id=row.id,
                note="; ".join(item.out.reasons)[:2000],
                details={"severity": values.get("severity"), "retriage": True},
            )
    counts["retriage_incident_members"] = scorer.group_incidents(conn, grouped, now)
    return counts


def retriage_batch(scorer: Scorer, batch_size: int, engine: Engine | None = None) -> dict[str, int] | None:
    """Re-judge one batch of marked mentions; None when none is marked."""

    def read(conn: Connection, rows: list[Any]) -> tuple[Any, Any]:
        return load_context(conn, rows, scorer.clock()), latest_scores(conn, [r.id for r in rows])

    return run_batch(
        engine or get_engine(),
        lambda conn, lock: take_marked(conn, batch_size, lock=lock),
        read,
        lambda rows, context: judge(scorer, rows, *context),
        lambda conn, judged: write(scorer, conn, judged, scorer.clock()),
    )


def retriage_pending(
    scorer: Scorer, *, batch_size: int = 64, max_batches: int | None = None, engine: Engine | None = None
) -> dict[str, int]:
    """Re-judge batches until no mark is left (or ``max_batches``); returns summed counts.

    A batch whose every row was skipped (marks renewed meanwhile) ends the pass: the next one retries.
    """
    return drain(
        lambda: retriage_batch(scorer, batch_size, engine),
        dict.fromkeys(COUNTS, 0),
        max_batches,
        idle=lambda counts: counts["retriaged"] == 0,
    )
