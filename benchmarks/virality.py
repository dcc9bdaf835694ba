"""How early the viral signals catch the replay sample's fast-growing posts, and how often they cry wolf.

    python -m benchmarks.virality [--mentions 300] [--seed 7] [--every 15] [--first-within 1]

Each social post of the sample (Reddit, Hacker News, Mastodon, Bluesky) is crawled as a source would:
first seen at a random moment of the first interval after publication, then every ``--every`` minutes
for 48 h, a snapshot kept whenever its counts changed (as the crawl pipeline does). After every crawl
`sentiment.virality.virality` judges it with the source's usual rate (the median rate of the
platform's posts, as the score job computes it). "Top decile": the tenth of posts with the most
engagement at 48 h. Printed, all measured in this run:

- the share of top-decile posts the default viral rule's spread condition (``accelerating``) caught
  within ``--first-within`` hours of publication, and the share "spreading fast" caught (accelerating
  or viral score ≥ 0.7, the condition behind the flag reason and the severity bump);
- the same for the sample's fast growers (whatever their rank), and false alarms: the share of the
  other posts that met each condition within that time, and within 48 h (most of those are ordinary
  posts' second waves: shared again hours later, they do speed up).

The sample is synthetic (`crawlers.sample.generate`): one post in ten per social platform spreads
fast, so its top decile is mostly those; the figures say how the signals behave on these shapes and
crawl cadences, not how often real posts take off.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from crawlers.sample import SampleMention, build_sample
from crawlers.sample.generate import FAST_PLATFORMS
from sentiment.triage import VIRAL_HIGH
from sentiment.virality import engagement, per_hour, usual_rate, virality

T0 = datetime(2026, 12, 1, tzinfo=UTC)
HORIZON_HOURS = 48.0


@dataclass
class Judged:
    """One post's verdicts over its crawls."""

    mention: SampleMention
    final: float
    accelerating_at: float | None = None  # hours after publication of the first crawl that said so
    fast_at: float | None = None
    fast_grower: bool = False


def _snapshot(m: SampleMention, hours: float) -> SimpleNamespace:
    e = m.engagement(hours)
    return SimpleNamespace(
        taken_at=T0 + timedelta(hours=hours),
        likes=e["likes"],
        replies=e["replies"],
        reposts=e["reposts"],
        score=0,
    )


def _crawls(m: SampleMention, rng: random.Random, every_h: float, until_h: float) -> list[SimpleNamespace]:
    """Snapshots kept by crawls every ``every_h`` from a random first sighting, up to ``until_h``."""
    kept: list[SimpleNamespace] = []
    at = rng.uniform(0.0, every_h)
    while at <= until_h:
        snap = _snapshot(m, at)
        if not kept or engagement(kept[-1]) != engagement(snap):
            kept.append(snap)
        at += every_h
    return kept


def _usual(posts: list[SampleMention], rng: random.Random, every_h: float) -> float:
    """The platform's usual rate as the score job reads it: posts of the last days, at their age now."""
    rates = []
    for m in posts:
        age = min(max(-m.offset / 3600, every_h), 7 * 24.0)
        rates.append(per_hour(_crawls(m, rng, every_h, age), T0))
    return usual_rate(rates)


def judge(m: SampleMention, usual: float, rng: random.Random, every_h: float) -> Judged:
    """Run virality after every crawl of ``m`` over the horizon."""
    snaps = _crawls(m, rng, every_h, HORIZON_HOURS)
    out = Judged(m, engagement(_snapshot(m, HORIZON_HOURS)), fast_grower=m.peak_hours is not None)
    for i in range(1, len(snaps) + 1):
        seen = snaps[:i]
        hours = (seen[-1].taken_at - T0).total_seconds() / 3600
        spread = virality(seen, T0, m.author.followers, usual)
        if spread.accelerating and out.accelerating_at is None:
            out.accelerating_at = hours
        if (spread.accelerating or spread.score >= VIRAL_HIGH) and out.fast_at is None:
            out.fast_at = hours
    return out


def _share(items: list[Judged], hit: object) -> tuple[int, int]:
    return sum(1 for j in items if hit(j)), len(items)  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--every", type=float, default=15.0, help="minutes between crawls of a source")
    parser.add_argument("--first-within", type=float, default=1.0, help="hours after publication")
    args = parser.parse_args()
    sample = build_sample(args.mentions, args.seed)
    rng = random.Random(args.seed)  # crawl phases: reproducible
    every_h, within = args.every / 60, args.first_within
    judged: list[Judged] = []
    for platform in FAST_PLATFORMS:
        posts = sample.by_platform[platform]
        usual = _usual(posts, rng, every_h)
        judged += [judge(m, usual, rng, every_h) for m in posts]
        print(f"{platform:<11} posts {len(posts):>4}  usual rate {usual:6.2f}/h")
    judged.sort(key=lambda j: j.final, reverse=True)
    top_n = max(1, round(len(judged) / 10))
    top, rest = judged[:top_n], judged[top_n:]
    cut = top[-1].final
    print(
        f"\n{len(judged)} social posts, crawled every {args.every:g} min; top decile: {top_n} posts "
        f"(engagement at 48 h ≥ {cut:g}; {sum(j.fast_grower for j in top)} of them fast growers)"
    )
    fast = [j for j in judged if j.fast_grower]
    for name, first in (
        ("accelerating (viral rule)", "accelerating_at"),
        ("or viral score ≥ 0.7", "fast_at"),
    ):

        def early(j: Judged, f: str = first) -> bool:
            return getattr(j, f) is not None and getattr(j, f) <= within

        caught, grower, alarms = _share(top, early), _share(fast, early), _share(rest, early)
        ever = _share(rest, lambda j, f=first: getattr(j, f) is not None)
        ordinary = [j for j in judged if not j.fast_grower]
        calm = _share(ordinary, lambda j, f=first: getattr(j, f) is not None)
        calm_early = _share(ordinary, early)
        times = sorted(getattr(j, first) * 60 for j in top if getattr(j, first) is not None)
        median = f"{times[len(times) // 2]:.0f} min" if times else "-"
        print(
            f"{name:<26} within {within:g} h: top decile {caught[0]}/{caught[1]} = "
            f"{caught[0] / caught[1]:.0%},"
            f" fast growers {grower[0]}/{grower[1]} = {grower[0] / max(1, grower[1]):.0%};"
            f" false alarms among the rest {alarms[0]}/{alarms[1]} = {alarms[0] / max(1, alarms[1]):.1%}"
            f" (within 48 h: {ever[0] / max(1, ever[1]):.1%}); ordinary posts within {within:g} h:"
            f" {calm_early[0]}/{calm_early[1]}, within 48 h: {calm[0]}/{calm[1]}; median time to catch a"
            f" top-decile post: {median}"
        )


if __name__ == "__main__":
    main()
