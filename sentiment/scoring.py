"""The scoring job: pending mentions -> `Score` rows, flags and status; one bad mention never fails a batch.

Batches: on PostgreSQL one transaction takes rows with ``FOR UPDATE SKIP LOCKED``, so scorers run side
by side without sharing a row. On SQLite the batch is read, scored outside any write lock, then written
with ``UPDATE ... WHERE status = 'new'``: a row another scorer got to first is skipped, not scored twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, insert, select, update
from sqlalchemy.engine import Connection

from bounceback.db import get_engine
from bounceback.lifecycle import log_activity
from bounceback.tables import Score
from bounceback.types import ActivityAction, MentionStatus, utcnow
from sentiment.base import Classifier, Prediction, flag_policy_of
from sentiment.batches import drain, run_batch
from sentiment.context import MENTION_COLUMNS, BatchContext, M, load_context
from sentiment.flag_policy import effective_threshold
from sentiment.grouping import IncidentGrouping
from sentiment.incidents import Embedder
from sentiment.language import detect, is_english
from sentiment.textprep import EMPTY_TEXT, prepare
from sentiment.triage import Verdict, triage
from sentiment.virality import virality

log = logging.getLogger(__name__)
SC = Score.__table__  # type: ignore[attr-defined]
ACTOR = "scorer"
RETRIAGE = ("new", "scored", "open", "parked")  # statuses a re-score may change; the rest keep theirs


@dataclass
class Outcome:
    """What scoring decided for one mention, ready to write."""

    mention_id: int
    status: str
    text: str = ""
    prediction: Prediction | None = None
    model: str = ""
    revision: str = ""
    language: str | None = None
    verdict: Verdict | None = None
    viral_score: float = 0.0
    accelerating: bool = False
    reach: int | None = None
    reasons: list[str] = field(default_factory=list)
    match_reason: str | None = None
    parked_reason: str | None = None
    related_mention_id: int | None = None
    rating_only: bool = False
    unsupported_language: bool = False  # no configured model reads it: a person should


@dataclass
class Scorer(IncidentGrouping):
    """Scores batches with ``classifier`` (and ``multilingual`` for other languages, when configured).

    A classifier with a flag policy flags at the P(negative) its curve gives for ``recall_target``;
    one without (or a stored score of another model) at ``threshold``.
    """

    classifier: Classifier
    threshold: float = 0.6
    recall_target: float = 0.9
    multilingual: Classifier | None = None
    embedder: Embedder | None = None
    clock: Callable[[], datetime] = utcnow

    def decide(self, rows: Sequence[Any], ctx: BatchContext) -> list[Outcome]:
        """Prepare, detect language, classify and triage every row; failures become parked outcomes."""
        outcomes = [Outcome(r.id, MentionStatus.scored.value) for r in rows]
        english: list[int] = []
        other: list[int] = []
        for i, row in enumerate(rows):
            try:
                prepared = prepare(row.title, row.text)
                guess = detect(prepared.text) if prepared.text is not None else None
            except Exception as exc:  # one unreadable mention is parked, the batch goes on
                log.warning("mention %s cannot be prepared: %s", row.id, exc)
                outcomes[i].status = MentionStatus.parked.value
                outcomes[i].parked_reason = f"cannot read the text: {type(exc).__name__}: {exc}"[:500]
                continue
            outcomes[i].reasons.extend(prepared.notes)
            if prepared.text is None and row.rating is not None and prepared.parked_reason == EMPTY_TEXT:
                outcomes[i].rating_only = True  # a star rating without words: triaged on the rating
                outcomes[i].reasons.append("no text: judged by the star rating alone")
                continue
            if prepared.text is None or guess is None:
                outcomes[i].status = MentionStatus.parked.value
                outcomes[i].parked_reason = prepared.parked_reason
                continue
            outcomes[i].text = prepared.text
            outcomes[i].language = guess.code
            (english if is_english(guess) else other).append(i)
        self._classify(self.classifier, english, outcomes)
        if self.multilingual is not None:
            self._classify(self.multilingual, other, outcomes)
        else:
            for i in other:  # triaged by rating, severity words and watch match, flagged for a person
                outcomes[i].unsupported_language = True
        now = self.clock()
        for i, row in enumerate(rows):
            out = outcomes[i]
            if out.prediction is not None or out.rating_only or out.unsupported_language:
                self._triage(row, out, ctx, now)
        return outcomes

    def flag_threshold(self, model: str, revision: str) -> tuple[float, float | None]:
        """The P(negative) threshold for a prediction of ``model``@``revision``, and the recall target it
        was set for (None: the plain ``threshold``, for a model without a flag policy)."""
        for classifier in (self.classifier, self.multilingual):
            if classifier is None or (classifier.name, classifier.revision) != (model, revision):
                continue
            policy = flag_policy_of(classifier)
            if policy is not None:
                return effective_threshold(policy, self.recall_target, self.threshold), self.recall_target
        return self.threshold, None

    def _classify(self, classifier: Classifier, indices: list[int], outcomes: list[Outcome]) -> None:
        if not indices:
            return
        texts = [outcomes[i].text for i in indices]
        try:
            predictions: list[Prediction | Exception] = list(classifier.classify(texts))
        except Exception as exc:  # isolate the culprit: one text at a time
            log.warning("batch classification failed (%s); retrying text by text", exc)
            predictions = [self._one(classifier, text) for text in texts]
        for i, prediction in zip(indices, predictions, strict=True):
            if isinstance(prediction, Exception):
                outcomes[i].status = MentionStatus.parked.value
                reason = f"classifier failed: {type(prediction).__name__}: {prediction}"
                outcomes[i].parked_reason = reason[:500]
                continue
            outcomes[i].prediction = prediction
            outcomes[i].model, outcomes[i].revision = classifier.name, classifier.revision

    @staticmethod
    def _one(classifier: Classifier, text: str) -> Prediction | Exception:
        try:
            return classifier.classify([text])[0]
        except Exception as exc:
            return exc

    def _triage(self, row: Any, out: Outcome, ctx: BatchContext, now: datetime) -> None:
        out.reach = ctx.reach(row)
        spread = virality(
            ctx.snapshots.get(row.id, []), row.published_at, out.reach, ctx.usual.get(row.source_id, 5.0)
        )
        out.viral_score, out.accelerating = spread.score, spread.accelerating
        relevant = ctx.relevance(row, out.text)
        out.match_reason = relevant.reason if relevant else None
        earlier = ctx.resolved_before.get(row.author_id) if row.author_id is not None else None
        threshold, recall_target = self.flag_threshold(out.model, out.revision)
        verdict = triage(
            out.text,
            out.prediction,
            rating=row.rating,
            threshold=threshold,
            recall_target=recall_target,
            language=out.language,
            unsupported_language=out.unsupported_language,
            model=out.model,
            viral_score=spread.score,
            accelerating=spread.accelerating,
            reach=out.reach,
            published_at=row.published_at or row.fetched_at,
            now=now,
            second_failure_of=earlier,
            relevant=relevant,
        )
        if earlier is not None and verdict.flagged:
            out.related_mention_id = earlier
        out.verdict = verdict
        out.reasons = verdict.reasons + out.reasons
        if verdict.flagged:
            out.status = (MentionStatus.reopened if earlier is not None else MentionStatus.open).value

    def write(
        self, conn: Connection, outcomes: Sequence[Outcome], *, rescore: bool = False
    ) -> dict[str, int]:
        """Store scores, flags and status; new mentions only change if still ``new`` (unless re-scoring)."""
        counts = dict.fromkeys(
            ("scored", "flagged", "parked", "unsupported_language", "rating_only", "skipped"), 0
        )
        now = self.clock()
        written: list[Outcome] = []
        for out in outcomes:
            if not self._write_one(conn, out, now, rescore):
                counts["skipped"] += 1
                continue
            written.append(out)
            if out.status == MentionStatus.parked.value:
                counts["parked"] += 1
            elif out.rating_only:
                counts["rating_only"] += 1
            elif out.prediction is None:
                counts["unsupported_language"] += 1
            else:
                counts["scored"] += 1
            if out.verdict is not None and out.verdict.flagged:
                counts["flagged"] += 1
        counts["incident_members"] = 0 if rescore else self.group_incidents(conn, written, now)
        return counts

    def _write_one(self, conn: Connection, out: Outcome, now: datetime, rescore: bool) -> bool:
        verdict, pred = out.verdict, out.prediction
        flagged = verdict is not None and verdict.flagged
        on_queue = flagged or (pred is None and out.status == MentionStatus.open.value)
        values: dict[str, Any] = {
            "language": out.language,
            "flag_reasons": out.reasons,
            "match_reason": out.match_reason,
            "parked_reason": out.parked_reason,
            "updated_at": now,
            "version": M.c.version + 1,
            "viral_score": out.viral_score,
            "accelerating": out.accelerating,
            "reach": out.reach,
        }
        if out.status != MentionStatus.parked.value:
            values |= {
                "scored_at": now,
                "severity": verdict.severity if verdict else "low",
                "priority": verdict.priority if verdict else 0.0,
            }
        if pred is not None:
            values |= {"sentiment": pred.label, "confidence": round(pred.confidence, 6)}
        if on_queue:
            values["flagged_at"] = now
        if out.related_mention_id is not None:
            values["related_mention_id"] = out.related_mention_id
        if rescore:
            values["status"] = case((M.c.status.in_(RETRIAGE), out.status), else_=M.c.status)
            condition = M.c.id == out.mention_id
        else:
            values["status"] = out.status
            condition = (M.c.id == out.mention_id) & (M.c.status == MentionStatus.new.value)
        if conn.execute(update(M).where(condition).values(**values)).rowcount != 1:
            return False
        if pred is not None:
            conn.execute(
                insert(SC).values(
                    mention_id=out.mention_id,
                    model=out.model,
                    revision=out.revision,
                    label=pred.label,
                    confidence=round(pred.confidence, 6),
                    probabilities=pred.probabilities,
                    language=out.language,
                    created_at=now,
                )
            )
        details = {
            "model": out.model,
            "revision": out.revision,
            "label": pred.label if pred else None,
            "status": out.status,
            "rescore": rescore,
        }
        log_activity(
            conn,
            ActivityAction.scored,
            ACTOR,
            mention_id=out.mention_id,
            details=details,
            note=out.parked_reason,
        )
        if on_queue:
            log_activity(
                conn,
                ActivityAction.flagged,
                ACTOR,
                mention_id=out.mention_id,
                note="; ".join(out.reasons)[:2000],
                details={"severity": values.get("severity")},
            )
        if out.related_mention_id is not None and not rescore:
            log_activity(
                conn,
                ActivityAction.note,
                ACTOR,
                mention_id=out.related_mention_id,
                note=f"second failure: new complaint {out.mention_id} from the same customer",
                details={"related_mention_id": out.mention_id},
            )
        return True


def take_batch(conn: Connection, batch_size: int, *, lock: bool) -> list[Any]:
    query = (
        select(*MENTION_COLUMNS)
        .where(M.c.status == MentionStatus.new.value)
        .order_by(M.c.id)
        .limit(batch_size)
    )
    if lock:
        query = query.with_for_update(skip_locked=True, of=M)
    return list(conn.execute(query).all())


def score_batch(scorer: Scorer, batch_size: int, engine: Engine | None = None) -> dict[str, int] | None:
    """Score one batch of ``new`` mentions; None when there was nothing to take."""

    def judge(rows: list[Any], ctx: BatchContext) -> list[Outcome]:
        outcomes = scorer.decide(rows, ctx)
        scorer.warm_embedder(outcomes)  # before taking SQLite's write lock
        return outcomes

    return run_batch(
        engine or get_engine(),
        lambda conn, lock: take_batch(conn, batch_size, lock=lock),
        lambda conn, rows: load_context(conn, rows, scorer.clock()),
        judge,
        lambda conn, outcomes: {"taken": len(outcomes), **scorer.write(conn, outcomes)},
    )


def score_pending(
    scorer: Scorer, *, batch_size: int = 64, max_batches: int | None = None, engine: Engine | None = None
) -> dict[str, int]:
    """Score batches until none are pending (or ``max_batches``), then re-judge the mentions marked for
    re-triage (`sentiment.retriage`); returns summed counts."""
    from sentiment.retriage import retriage_pending  # it builds on this module's Scorer

    totals: dict[str, int] = {
        "taken": 0,
        "scored": 0,
        "flagged": 0,
        "parked": 0,
        "unsupported_language": 0,
        "skipped": 0,
        "incident_members": 0,
    }
    drain(lambda: score_batch(scorer, batch_size, engine), totals, max_batches)
    totals |= retriage_pending(scorer, batch_size=batch_size, max_batches=max_batches, engine=engine)
    return totals


def rescore_since(
    scorer: Scorer, since: datetime, *, batch_size: int = 64, engine: Engine | None = None
) -> dict[str, int]:
    """Re-score mentions fetched since ``since`` with the current model, adding Score rows (old ones stay).

    Duplicates (another source's copy of a post) are left alone: their original is triaged.
    """
    engine = engine or get_engine()
    totals: dict[str, int] = {"taken": 0}
    last_id = 0
    while True:
        with engine.execution_options(readonly=True).begin() as conn:
            rows = list(
                conn.execute(
                    select(*MENTION_COLUMNS)
                    .where(M.c.fetched_at >= since, M.c.id > last_id, M.c.purged_at.is_(None))
                    .where(M.c.status != MentionStatus.duplicate.value)  # triaged on its original
                    .order_by(M.c.id)
                    .limit(batch_size)
                ).all()
            )
            if not rows:
                return totals
            ctx = load_context(conn, rows, scorer.clock())
        outcomes = scorer.decide(rows, ctx)
        with engine.begin() as conn:
            counts = scorer.write(conn, outcomes, rescore=True)
        last_id = rows[-1].id
        totals["taken"] += len(rows)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
