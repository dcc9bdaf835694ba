"""Grouping similar complaints from the same window into one `Incident`.

A new complaint joins the open incident whose centroid is most similar (cosine >= SIMILARITY, last seen
within WINDOW). Otherwise, if at least BURST recent complaints without an incident (itself included)
are that similar to it, they open a new incident together. Titles come from the most common words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from bounceback.tables import Incident, Mention

M = Mention.__table__  # type: ignore[attr-defined]
I = Incident.__table__  # type: ignore[attr-defined]  # noqa: E741
WINDOW = timedelta(hours=6)
SIMILARITY = 0.6
BURST = 3
RECENT_LIMIT = 300
_STOPWORDS_TEXT = (
    "a about after again all also am an and any are as at be been but by can cant could did didnt do does "
    "dont for from get got had has have having he her here him his how i im if in into is isnt it its ive "
    "just like me more my no not now of off on once only or our out over please really same so some still "
    "than thanks that the their them then there they this to too up us very was wasnt we were what when "
    "where which who why will with wont would yet you your youre amp http https www com"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORD = re.compile(r"[a-z][a-z']{2,}")

Embedder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Complaint:
    """A flagged negative mention to place in an incident."""

    mention_id: int
    text: str
    severity: str


def keywords(texts: Sequence[str], limit: int = 4, exclude: Sequence[str] = ()) -> list[str]:
    """The most common meaningful words across ``texts`` (each text counted once per word)."""
    skip = STOPWORDS | {w.lower() for term in exclude for w in term.split()}
    counts: Counter[str] = Counter()
    for text in texts:
        words = {w.strip("'") for w in _WORD.findall(text.lower().replace("\u2019", "'"))}
        counts.update(w for w in words if w not in skip and len(w) > 2 and not w.startswith("@"))
    return [w for w, _ in counts.most_common(limit)]


def title_for(texts: Sequence[str], exclude: Sequence[str] = ()) -> tuple[str, list[str]]:
    """An incident title such as "refund, app, crash (4 complaints)" and its keywords."""
    words = keywords(texts, exclude=exclude)
    return f"{', '.join(words) or 'similar complaints'} ({len(texts)} complaints)", words


def _rank(severity: str | None) -> int:
    return {"low": 1, "medium": 2, "high": 3, "critical": 4}.get(severity or "", 0)


def assign(
    conn: Connection,
    complaints: Sequence[Complaint],
    embed: Embedder,
    now: datetime,
    exclude_words: Sequence[str] = (),
) -> dict[int, int]:
    """Put each complaint in an incident where one fits; returns mention id -> incident id."""
    if not complaints:
        return {}
    vectors = embed([c.text for c in complaints])
    since = now - WINDOW
    open_rows = conn.execute(
        select(I.c.id, I.c.centroid, I.c.mention_count, I.c.severity).where(
            I.c.status == "open", I.c.last_seen_at >= since
        )
    ).all()
    centroids = {
        r.id: (np.asarray(r.centroid, dtype=np.float32), r.mention_count, r.severity)
        for r in open_rows
        if r.centroid
    }
    placed: dict[int, int] = {}
    for complaint, vector in zip(complaints, vectors, strict=True):
        best, best_sim = None, SIMILARITY
        for incident_id, (centroid, _, _) in centroids.items():
            sim = float(vector @ centroid)
            if sim >= best_sim:
                best, best_sim = incident_id, sim
        if best is not None:
            placed[complaint.mention_id] = best
            centroids[best] = _grow(conn, best, centroids[best], vector, complaint.severity, now)
    leftover = [(c, v) for c, v in zip(complaints, vectors, strict=True) if c.mention_id not in placed]
    if leftover:
        placed.update(_bursts(conn, leftover, embed, now, exclude_words))
    return placed


def _grow(
    conn: Connection,
    incident_id: int,
    current: tuple[np.ndarray, int, str | None],
    vector: np.ndarray,
    severity: str,
    now: datetime,
) -> tuple[np.ndarray, int, str | None]:
    centroid, count, worst = current
    merged = (centroid * count + vector) / (count + 1)
    merged = merged / max(float(np.linalg.norm(merged)), 1e-9)
    worst = severity if _rank(severity) > _rank(worst) else worst
    conn.execute(
        update(I)
        .where(I.c.id == incident_id)
        .values(
            centroid=[round(float(x), 6) for x in merged],
            mention_count=I.c.mention_count + 1,
            last_seen_at=now,
            severity=worst,
            version=I.c.version + 1,
        )
    )
    return merged, count + 1, worst


def _bursts(
    conn: Connection,
    leftover: Sequence[tuple[Complaint, np.ndarray]],
    embed: Embedder,
    now: datetime,
    exclude_words: Sequence[str],
) -> dict[int, int]:
    new_ids = {c.mention_id for c, _ in leftover}
    recent = conn.execute(
        select(M.c.id, M.c.title, M.c.text, M.c.severity, M.c.source_id)
        .where(
            M.c.incident_id.is_(None),
            M.c.flagged_at >= now - WINDOW,
            M.c.sentiment == "negative",
            M.c.id.notin_(new_ids),
        )
        .order_by(M.c.id.desc())
        .limit(RECENT_LIMIT)
    ).all()
    pool_ids = [c.mention_id for c, _ in leftover] + [r.id for r in recent]
    pool_text = [c.text for c, _ in leftover] + ["\n".join(p for p in (r.title, r.text) if p) for r in recent]
    pool_sev = [c.severity for c, _ in leftover] + [r.severity or "medium" for r in recent]
    pool_vec = (
        np.vstack([np.stack([v for _, v in leftover]), embed(pool_text[len(leftover) :])])
        if recent
        else np.stack([v for _, v in leftover])
    )
    taken: dict[int, int] = {}
    for index in range(len(leftover)):
        if pool_ids[index] in taken:
            continue
        sims = pool_vec @ pool_vec[index]
        members = [j for j in range(len(pool_ids)) if sims[j] >= SIMILARITY and pool_ids[j] not in taken]
        if len(members) < BURST:
            continue
        texts = [pool_text[j] for j in members]
        title, words = title_for(texts, exclude_words)
        centroid = pool_vec[members].mean(axis=0)
        centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-9)
        worst = max((pool_sev[j] for j in members), key=_rank)
        incident_id = conn.execute(
            insert(I)
            .values(
                title=title[:500],
                status="open",
                severity=worst,
                mention_count=len(members),
                opened_at=now,
                last_seen_at=now,
                centroid=[round(float(x), 6) for x in centroid],
                keywords=words,
                source_ids=[],
                version=1,
            )
            .returning(I.c.id)
        ).scalar_one()
        old = [pool_ids[j] for j in members if pool_ids[j] not in new_ids]
        if old:
            conn.execute(update(M).where(M.c.id.in_(old)).values(incident_id=incident_id))
        for j in members:
            taken[pool_ids[j]] = incident_id
    return {mid: iid for mid, iid in taken.items() if mid in new_ids}
