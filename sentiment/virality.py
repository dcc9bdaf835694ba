"""How fast a mention spreads: engagement per hour from `EngagementSnapshot`s against the source's usual.

viral_score = 0.7 * (1 - exp(-ratio / 4)) + 0.3 * reach_part, where ratio is the mention's engagement
per hour divided by its source's usual (median) rate: 4* usual gives 0.44 from velocity alone, 10* 0.65.
"Accelerating": the rate between the last two snapshots is at least 1.5* the rate between the two
before, and above the source's usual rate.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sentiment.triage import reach_part

DEFAULT_USUAL_PER_HOUR = 5.0
MIN_HOURS = 0.25


class SnapshotLike(Protocol):
    taken_at: datetime
    likes: int
    replies: int
    reposts: int
    score: int


@dataclass(frozen=True)
class Virality:
    """0-1 score, the accelerating flag and the engagement per hour behind them."""

    score: float
    accelerating: bool
    per_hour: float


def engagement(snapshot: SnapshotLike) -> float:
    """One number per snapshot: replies and reposts spread a complaint more than likes do."""
    return snapshot.likes + 2 * snapshot.replies + 3 * snapshot.reposts + max(0, snapshot.score)


def per_hour(snapshots: Sequence[SnapshotLike], published_at: datetime | None) -> float:
    """Engagement per hour since posting, from the latest snapshot."""
    if not snapshots:
        return 0.0
    latest = max(snapshots, key=lambda s: s.taken_at)
    start = published_at or min(s.taken_at for s in snapshots)
    hours = max(MIN_HOURS, (latest.taken_at - start).total_seconds() / 3600)
    return engagement(latest) / hours


def is_accelerating(snapshots: Sequence[SnapshotLike], usual: float) -> bool:
    """Last interval's rate ≥ 1.5 * the one before, and above the source's usual rate."""
    ordered = sorted(snapshots, key=lambda s: s.taken_at)
    if len(ordered) < 3:
        return False
    a, b, c = ordered[-3:]
    hours_1 = max(1e-6, (b.taken_at - a.taken_at).total_seconds() / 3600)
    hours_2 = max(1e-6, (c.taken_at - b.taken_at).total_seconds() / 3600)
    rate_1 = (engagement(b) - engagement(a)) / hours_1
    rate_2 = (engagement(c) - engagement(b)) / hours_2
    return rate_2 > usual and rate_2 >= 1.5 * max(rate_1, 0.0) and rate_2 > 0


def usual_rate(rates: Sequence[float]) -> float:
    """A source's usual engagement per hour: the median of its recent mentions (a default if few)."""
    positive = [r for r in rates if r > 0]
    if len(positive) < 5:
        return DEFAULT_USUAL_PER_HOUR
    return max(0.5, statistics.median(positive))


def virality(
    snapshots: Sequence[SnapshotLike], published_at: datetime | None, reach: int | None, usual: float
) -> Virality:
    """Score a mention's spread from its snapshots and reach."""
    rate = per_hour(snapshots, published_at)
    ratio = rate / max(usual, 1e-6)
    score = 0.7 * (1 - math.exp(-ratio / 4)) + 0.3 * reach_part(reach)
    return Virality(round(min(1.0, score), 4), is_accelerating(snapshots, usual), round(rate, 3))
