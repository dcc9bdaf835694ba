"""How fast a mention spreads: engagement per hour from `EngagementSnapshot`s against the source's usual.

viral_score = 0.85 * (1 - exp(-ratio / 6)) + 0.15 * reach_part, where ratio is the mention's engagement
per hour divided by its source's usual (median) rate: 6* usual gives 0.54 from velocity alone, 16*
0.79 (tuned on the replay sample's fast growers: `benchmarks/virality.py`).
"Accelerating": engagement gained between the last two snapshots came at least 1.5* as fast as the
post's average rate before them, faster than the source's usual rate, and adds up to at least
``MIN_GAIN``. Publication counts as a point with no engagement, so a post crawled twice after it was
published is enough (its rate doubling from the first interval to the second fires). Steady or
slowing growth (most posts) never accelerates.
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
VELOCITY = 0.85  # the velocity part's weight; reach (followers) gives the rest
RATIO_SCALE = 6.0  # rate / usual: 6* usual gives 0.54 from velocity alone, 16* 0.79
ACCELERATION = 1.5  # the last interval's rate against the average before it (doubling is well past it)
MIN_GAIN = 20.0  # engagement points gained in the last interval: 0 -> 2 likes is noise, not a trend
MIN_INTERVAL_HOURS = 1 / 60  # two crawls seconds apart: no rate is read off a shorter interval


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


def is_accelerating(
    snapshots: Sequence[SnapshotLike], usual: float, published_at: datetime | None = None
) -> bool:
    """The last interval's rate ≥ ``ACCELERATION`` * the average rate before it, above the usual rate,
    and ``MIN_GAIN`` or more gained in it.

    The average runs from publication (``published_at``, no engagement yet) when it is known and before
    the first snapshot, else from the first snapshot. Against the average, not the previous interval
    alone, the test does not depend on how often the source is crawled: growth that slows down or
    keeps its pace (most posts) stays below its own average, growth that speeds up rises above it.
    """
    points = [(s.taken_at, engagement(s)) for s in sorted(snapshots, key=lambda s: s.taken_at)]
    if published_at is not None and points and published_at < points[0][0]:
        points.insert(0, (published_at, 0.0))
    if len(points) < 3:
        return False
    (t0, e0), (t1, e1), (t2, e2) = points[0], points[-2], points[-1]
    before = max(0.0, e1 - e0) / _hours(t0, t1)
    last = (e2 - e1) / _hours(t1, t2)
    return e2 - e1 >= MIN_GAIN and last > usual and last >= ACCELERATION * before


def _hours(start: datetime, end: datetime) -> float:
    return max(MIN_INTERVAL_HOURS, (end - start).total_seconds() / 3600)


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
    score = VELOCITY * (1 - math.exp(-ratio / RATIO_SCALE)) + (1 - VELOCITY) * reach_part(reach)
    accelerating = is_accelerating(snapshots, usual, published_at)
    return Virality(round(min(1.0, score), 4), accelerating, round(rate, 3))
