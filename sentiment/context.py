"""What triage needs to know about a batch of mentions, read in a few queries per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from bounceback.tables import Author, EngagementSnapshot, Mention, Watch
from bounceback.types import MentionStatus
from sentiment.triage import Relevance, relevance
from sentiment.virality import SnapshotLike, per_hour, usual_rate

M = Mention.__table__  # type: ignore[attr-defined]
A = Author.__table__  # type: ignore[attr-defined]
S = EngagementSnapshot.__table__  # type: ignore[attr-defined]
W = Watch.__table__  # type: ignore[attr-defined]
USUAL_WINDOW = timedelta(days=7)
REACH_KEYS = ("followers", "subscribers", "subreddit_subscribers", "members", "reach")

MENTION_COLUMNS = (
    M.c.id,
    M.c.title,
    M.c.text,
    M.c.rating,
    M.c.author_id,
    M.c.source_id,
    M.c.published_at,
    M.c.fetched_at,
    M.c.watch_id,
    M.c.engagement,
    M.c.status,
    M.c.incident_id,
)


@dataclass
class BatchContext:
    """Authors' reach, snapshots, each source's usual engagement rate, watches and earlier resolutions."""

    followers: dict[int, int | None] = field(default_factory=dict)
    snapshots: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    usual: dict[int, float] = field(default_factory=dict)
    watches: list[Any] = field(default_factory=list)
    resolved_before: dict[int, int] = field(default_factory=dict)

    def reach(self, row: Any) -> int | None:
        """The biggest audience known: author followers, engagement fields, snapshot followers."""
        values: list[int] = []
        if row.author_id is not None and self.followers.get(row.author_id) is not None:
            values.append(int(self.followers[row.author_id] or 0))
        engagement = row.engagement or {}
        for key in REACH_KEYS:
            value = engagement.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                values.append(int(value))
        values.extend(int(s.followers) for s in self.snapshots.get(row.id, []) if s.followers is not None)
        return max(values) if values else None

    def relevance(self, row: Any, text: str) -> Relevance | None:
        """The mention's watch decides; without one, any enabled watch that excludes or matches it."""
        watches = [w for w in self.watches if w.id == row.watch_id] if row.watch_id else self.watches
        if not watches:
            return None
        verdicts = [relevance(text, w.terms or [], w.exclude_terms or [], w.name) for w in watches]
        matched = [v for v in verdicts if v.relevant and v.reason.startswith("matched")]
        if matched:
            return matched[0]
        excluded = [v for v in verdicts if not v.relevant]
        return excluded[0] if excluded else verdicts[0]


def load_context(conn: Connection, rows: Sequence[Any], now: datetime) -> BatchContext:
    """Read everything triage needs for ``rows`` (a handful of queries, whatever the batch size)."""
    ctx = BatchContext()
    ids = [r.id for r in rows]
    author_ids = sorted({r.author_id for r in rows if r.author_id is not None})
    source_ids = sorted({r.source_id for r in rows})
    if author_ids:
        for author in conn.execute(select(A.c.id, A.c.followers).where(A.c.id.in_(author_ids))):
            ctx.followers[author.id] = author.followers
        earlier = conn.execute(
            select(M.c.author_id, M.c.id)
            .where(
                M.c.author_id.in_(author_ids), M.c.status == MentionStatus.resolved.value, M.c.id.notin_(ids)
            )
            .order_by(M.c.resolved_at)
        )
        for author_id, mention_id in earlier:
            ctx.resolved_before[author_id] = mention_id  # the latest resolution wins
    for snap in conn.execute(select(S).where(S.c.mention_id.in_(ids)).order_by(S.c.taken_at)):
        ctx.snapshots[snap.mention_id].append(snap)
    ctx.usual = _usual_rates(conn, source_ids, now)
    ctx.watches = list(conn.execute(select(W).where(W.c.enabled.is_(True)).order_by(W.c.id)))
    return ctx


def _usual_rates(conn: Connection, source_ids: Sequence[int], now: datetime) -> dict[int, float]:
    recent = conn.execute(
        select(
            M.c.source_id,
            M.c.published_at,
            S.c.mention_id,
            S.c.taken_at,
            S.c.likes,
            S.c.replies,
            S.c.reposts,
            S.c.score,
        )
        .join(M, M.c.id == S.c.mention_id)
        .where(M.c.source_id.in_(source_ids), S.c.taken_at >= now - USUAL_WINDOW)
        .order_by(S.c.id.desc())
        .limit(5000)
    ).all()
    by_mention: dict[int, list[SnapshotLike]] = defaultdict(list)
    meta: dict[int, tuple[int, datetime | None]] = {}
    for r in recent:
        by_mention[r.mention_id].append(r)
        meta[r.mention_id] = (r.source_id, r.published_at)
    rates: dict[int, list[float]] = defaultdict(list)
    for mention_id, snaps in by_mention.items():
        source_id, published = meta[mention_id]
        rates[source_id].append(per_hour(snaps, published))
    return {source_id: usual_rate(rates.get(source_id, [])) for source_id in source_ids}
