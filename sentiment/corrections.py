"""Agents' relabels (`Correction` rows) as labelled texts: training rows and a held-out part.

The newest correction of a mention counts. Only the sentiment labels (negative, neutral, positive)
teach the model; "not negative" does not say which label is right and "not about us" is about
relevance, not tone, so both are counted and skipped, as are erased, empty and non-English texts. One
text in five, chosen by a hash of the text (the same text always falls on the same side), is held out
to test the retrained model instead of training it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from bounceback.tables import Correction, Mention
from sentiment.corpus import Example
from sentiment.labels import LABELS
from sentiment.language import detect, is_english
from sentiment.textprep import prepare

SOURCE = "correction"
HELDOUT_ONE_IN = 5
NOT_A_LABEL: dict[str, str] = {
    "not_negative": "“not negative” names no label (neutral or positive?)",
    "not_about_us": "“not about us” is about relevance, not tone",
}
CO = Correction.__table__  # type: ignore[attr-defined]
M = Mention.__table__  # type: ignore[attr-defined]


@dataclass
class CorrectionSet:
    """What `read_corrections` found: rows to train on, rows held out, and why the rest was skipped."""

    train: list[Example] = field(default_factory=list)
    held_out: list[Example] = field(default_factory=list)
    read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def label_counts(self) -> dict[str, int]:
        """Training and held-out rows per label."""
        return dict(Counter(e.label for e in [*self.train, *self.held_out]))


def is_held_out(text: str) -> bool:
    """One text in ``HELDOUT_ONE_IN``, by the sha256 of the text: deterministic and order-free."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % HELDOUT_ONE_IN == 0


def read_corrections(engine: Engine, exclude_texts: frozenset[str] = frozenset()) -> CorrectionSet:
    """Every correction joined to its mention's text, split into training and held-out rows.

    ``exclude_texts`` (the check files' texts) are skipped, so a check never tests a trained row.
    """
    stmt = (
        select(CO.c.id, CO.c.mention_id, CO.c.label, M.c.title, M.c.text, M.c.purged_at)
        .join(M, M.c.id == CO.c.mention_id)
        .order_by(CO.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    result = CorrectionSet(read=len(rows))
    skipped: Counter[str] = Counter()
    newest = {row.mention_id: row for row in rows}  # ordered by id: the last one wins
    skipped["superseded by a newer correction of the same mention"] = len(rows) - len(newest)
    by_text: dict[str, str] = {}
    for row in sorted(newest.values(), key=lambda r: r.id):
        if row.label not in LABELS:
            skipped[NOT_A_LABEL.get(row.label, f"unknown label {row.label!r}")] += 1
            continue
        if row.purged_at is not None:
            skipped["text erased by retention"] += 1
            continue
        text = prepare(row.title, row.text).text
        if text is None:
            skipped["no text to learn from"] += 1
            continue
        if not is_english(detect(text)):
            skipped["not English (the builtin model reads English)"] += 1
            continue
        if text in exclude_texts:
            skipped["the same text is in a check file"] += 1
            continue
        if text in by_text:
            skipped["same text as another corrected mention (newest kept)"] += 1
        by_text[text] = row.label
    for text, label in by_text.items():
        (result.held_out if is_held_out(text) else result.train).append(Example(text, label, SOURCE))
    result.skipped = {reason: n for reason, n in skipped.items() if n}
    return result
