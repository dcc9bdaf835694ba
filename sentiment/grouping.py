"""Incident grouping as the score job does it: flagged mentions the model read join `sentiment.incidents`.

First scoring and re-triage (a mention newly flagged as it spread) both go through `IncidentGrouping`,
a base of `sentiment.scoring.Scorer`. The embedder is loaded by `warm_embedder` before the write
transaction (SQLite's write lock); one that cannot load turns grouping off, and the scores still land.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.engine import Connection

from bounceback.tables import Mention
from sentiment.base import Prediction
from sentiment.embeddings import EmbedderUnavailable
from sentiment.incidents import Complaint, Embedder, assign
from sentiment.triage import Verdict

log = logging.getLogger(__name__)
M = Mention.__table__  # type: ignore[attr-defined]


class Judged(Protocol):
    """What grouping reads of a judged mention (`sentiment.scoring.Outcome`)."""

    mention_id: int
    text: str
    verdict: Verdict | None
    prediction: Prediction | None


def complaints_of(judged: Iterable[Judged]) -> list[Complaint]:
    """The flagged mentions whose text the model read, whatever the winning label: complaints to group."""
    return [
        Complaint(j.mention_id, j.text, j.verdict.severity)
        for j in judged
        if j.verdict is not None and j.verdict.flagged and j.prediction is not None
    ]


class IncidentGrouping:
    """Places complaints in incidents with ``embedder`` (None: grouping is off)."""

    embedder: Embedder | None

    def warm_embedder(self, judged: Sequence[Judged]) -> None:
        """Load (or export) the embedding model now, outside the write transaction, if it will be needed."""
        texts = [c.text for c in complaints_of(judged)][:1]
        if self.embedder is None or not texts:
            return
        try:
            self.embedder(texts)  # one text is enough to load it
        except EmbedderUnavailable as exc:
            log.error("incident grouping is off: %s", exc)
            self.embedder = None

    def group_incidents(self, conn: Connection, judged: Sequence[Judged], now: datetime) -> int:
        """Put the complaints among ``judged`` in incidents; returns how many were placed."""
        complaints = complaints_of(judged)
        if not complaints or self.embedder is None:
            return 0
        try:
            placed = assign(conn, complaints, self.embedder, now)
        except EmbedderUnavailable as exc:  # raised before anything is written: the scores still land
            log.error("incident grouping is off: %s", exc)
            self.embedder = None
            return 0
        for mention_id, incident_id in placed.items():
            conn.execute(update(M).where(M.c.id == mention_id).values(incident_id=incident_id))
        return len(placed)
