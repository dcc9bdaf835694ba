"""Build the sample data set deterministically from a seed and a size.

A `SampleMention` is platform-neutral: text, author, rating, language, when it is published
(``offset`` seconds relative to the replay server's start; positive offsets are still to come) and
how its engagement grows. :mod:`crawlers.sample.render` turns them into each platform's wire format.
Engagement grows as it does on real platforms: most posts gather what they will in their first hours
and then go flat, some with a small second wave when shared again hours later (``WAVE_SHARE``); a few
per platform (``FAST_SHARE``) spread fast along an S curve, accelerating up to their ``peak_hours``.
Both are drawn from their own random stream, so the rest of the sample does not move.
Ids are derived from each mention's rank within its platform (oldest first), so they are stable
across server restarts with the same seed and size, and grow with time as real ids do.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from crawlers.sample.texts import (
    BRANDS,
    CATEGORIES,
    DRINKS,
    FOREIGN,
    HANDLE_FIRST,
    HANDLE_LAST,
    HOSTILE,
    STORES,
    TAG,
)

PLATFORMS: dict[str, float] = {
    "reddit": 0.18,
    "hackernews": 0.08,
    "mastodon": 0.14,
    "bluesky": 0.14,
    "appstore": 0.10,
    "googleplay": 0.06,  # right after the App Store: the other platforms' draws stay as they were
    "trustpilot": 0.12,
    "schemaorg": 0.06,
    "feed": 0.12,
}
CATEGORY_WEIGHTS = {"praise": 36, "question": 18, "complaint": 30, "safety": 2, "legal": 2, "data_leak": 2}
BURST_PLATFORMS = ("reddit", "mastodon", "bluesky", "appstore", "trustpilot")
SUBREDDITS = ("Coffee", "northwindcoffee", "mildlyinfuriating", "Seattle", "barista")
APP_COUNTRIES = ("us", "gb", "de", "fr", "ca", "au")
COUNTRY_LANG = {"us": "en", "gb": "en", "de": "de", "fr": "fr", "ca": "en", "au": "en"}
PRODUCTS = ("house-blend", "travel-mug", "gift-card")
FEEDS = ("alerts", "news")
DAY = 86_400.0
CROSS_PLATFORM_HANDLE = "mkowalski"
SETTLE_HOURS = 3.0  # an ordinary post's engagement rate falls by e every SETTLE_HOURS
FAST_SHARE = 0.1  # of each social platform's posts: the ones that spread fast (one in ten)
FAST_PLATFORMS = ("reddit", "hackernews", "mastodon", "bluesky")
WAVE_SHARE = 0.15  # of the other social posts: shared again hours later, a small second wave
WAVE_WIDTH_HOURS = 0.2


@dataclass(frozen=True)
class SampleAuthor:
    """Someone posting about the brand."""

    handle: str
    display_name: str
    followers: int


@dataclass
class SampleMention:
    """One post or review of the sample, before it is rendered in a platform's format."""

    platform: str
    category: str
    offset: float
    author: SampleAuthor
    title: str
    text: str
    rating: int | None
    language: str
    likes: int = 0
    replies: int = 0
    reposts: int = 0
    growth: float = 0.5  # likes per hour at first (a fast grower: likes gained in all)
    extra: dict[str, Any] = field(default_factory=dict)
    rank: int = 0  # position within its platform, oldest first (set by build_sample)
    peak_hours: float | None = None  # a fast grower: when its spread is fastest
    steep: float = 4.0  # a fast grower's S curve: how many widths it rises from the start to its peak
    wave: tuple[float, float] | None = None  # an ordinary post shared again later: (hours, likes gained)

    def engagement(self, hours: float) -> dict[str, int]:
        """Counts ``hours`` after publication (none at first): the ordinary part (``likes`` …, plus
        ``growth`` per hour at first) settles with the age; a fast grower adds ``growth`` along an S
        curve."""
        hours = max(hours, 0.0)
        settled = 1 - math.exp(-hours / SETTLE_HOURS)
        spread = 0.0
        if self.peak_hours is None:
            spread = self.growth * SETTLE_HOURS * settled
            if self.wave is not None:  # about an hour of renewed interest, centred on the wave's time
                at, size = self.wave
                spread += size / (1 + math.exp(-(hours - at) / WAVE_WIDTH_HOURS))
        else:
            width = self.peak_hours / self.steep
            start = 1 / (1 + math.exp(self.steep))
            now = 1 / (1 + math.exp(-(hours - self.peak_hours) / width))
            spread = self.growth * (now - start) / (1 - start)
        return {
            "likes": int(self.likes * settled + spread),
            "replies": int(self.replies * settled + spread * 0.25),
            "reposts": int(self.reposts * settled + spread * 0.4),
        }


@dataclass
class Sample:
    """The whole data set: mentions by platform, each list oldest first."""

    seed: int
    size: int
    by_platform: dict[str, list[SampleMention]]

    def all(self) -> list[SampleMention]:
        """Every mention of every platform."""
        return [m for items in self.by_platform.values() for m in items]


def _author(rng: random.Random) -> SampleAuthor:
    first, last = rng.choice(HANDLE_FIRST), rng.choice(HANDLE_LAST)
    handle = f"{first}{rng.choice(['_', '.', ''])}{last}{rng.randint(1, 99)}"
    followers = int(rng.paretovariate(1.2) * 40)
    return SampleAuthor(handle=handle, display_name=f"{first.title()} {last.title()}", followers=followers)


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        brand=rng.choice(BRANDS),
        drink=rng.choice(DRINKS),
        store=rng.choice(STORES),
        minutes=rng.choice((25, 35, 40, 55)),
        amount=rng.choice(("12.50", "19.99", "34.00", "89.00")),
        tag=TAG,
    )


def _mention(rng: random.Random, platform: str, category: str, offset: float) -> SampleMention:
    ratings, templates = CATEGORIES[category]
    language = "en"
    foreign = FOREIGN.get(category, {})
    if foreign and rng.random() < 0.12:
        language = rng.choice(sorted(foreign))
        templates = foreign[language]
    title, text = rng.choice(templates)
    negative = category not in ("praise", "question", "offtopic")
    mention = SampleMention(
        platform=platform,
        category=category,
        offset=offset,
        author=_author(rng),
        title=_fill(title, rng),
        text=_fill(text, rng),
        rating=rng.choice(ratings),
        language=language,
        likes=rng.randint(0, 12),
        replies=rng.randint(0, 4),
        reposts=rng.randint(0, 3),
        growth=rng.choice((0.2, 0.5, 1.0, 2.0)) * (2.0 if negative else 1.0),
    )
    _place(mention, rng)
    return mention


def _place(m: SampleMention, rng: random.Random) -> None:
    """Platform details: subreddit, HN story or comment, app store country, product, feed."""
    if m.platform == "reddit":
        m.extra["subreddit"] = rng.choice(SUBREDDITS)
    elif m.platform in ("mastodon", "bluesky") and m.category != "offtopic" and rng.random() < 0.5:
        if f"#{TAG}" not in m.text:
            m.text += f" #{TAG}"
    elif m.platform == "hackernews":
        m.extra["story"] = rng.random() < 0.3
    elif m.platform == "appstore":
        country = rng.choice(APP_COUNTRIES)
        if COUNTRY_LANG[country] != m.language:  # a German review sits in the German store
            country = {"de": "de", "fr": "fr"}.get(m.language, "us" if m.language == "en" else country)
        m.extra["country"] = country
        m.extra["version"] = rng.choice(("4.1.0", "4.2.0", "4.2.1"))
    elif m.platform == "googleplay":  # as many draws as the App Store's (a sample keeps its shape)
        m.extra["country"] = rng.choice(APP_COUNTRIES)
        m.extra["version"] = rng.choice(("4.1.0", "4.2.0", "4.2.1"))
    elif m.platform == "trustpilot":
        m.extra["country"] = rng.choice(("US", "GB", "DE", "FR", "NL", "ES"))
        m.extra["reply"] = m.category != "praise" and rng.random() < 0.3
    elif m.platform == "schemaorg":
        m.extra["product"] = rng.choice(PRODUCTS)
    elif m.platform == "feed":
        m.extra["feed"] = rng.choice(FEEDS)


def _offset(rng: random.Random, future_fraction: float, future_window: float, history_days: float) -> float:
    if rng.random() < future_fraction:
        return rng.uniform(5.0, future_window)
    # denser in the recent past, like real chatter
    return -min(rng.expovariate(1 / (DAY * 1.5)), history_days * DAY) - 1.0


def _specials(rng: random.Random, size: int, future_window: float) -> list[SampleMention]:
    """The story the demo tells: an outage burst, one angry customer on three platforms, a viral
    safety complaint, hostile strings and posts about other 'Northwind's."""
    out: list[SampleMention] = []
    burst = max(12, size // 25)
    for i in range(burst):
        # from 40 minutes ago into the future window: an incident forming while you watch
        offset = -2400.0 + (2400.0 + min(future_window, 900.0)) * i / burst
        out.append(_mention(rng, BURST_PLATFORMS[i % len(BURST_PLATFORMS)], "outage", offset))
    angry = SampleAuthor(CROSS_PLATFORM_HANDLE, "Maria Kowalski", 310)
    for platform, offset in (("reddit", -7200.0), ("trustpilot", -5400.0), ("mastodon", -3600.0)):
        m = _mention(rng, platform, "complaint", offset)
        m.author, m.language = angry, "en"
        m.title = "Charged twice, no refund"
        m.text = (
            "Northwind Coffee charged me twice for my order #A-1093 and three agents told me three different "
            "stories. I want my $34.00 back or I cancel my subscription."
        )
        m.rating = 1
        out.append(m)
    viral = _mention(rng, "bluesky", "safety", -1800.0)
    viral.author = SampleAuthor("jules.bsky.social", "Jules ✨", 48_200)
    viral.language = "en"
    viral.text = (
        "Northwind Coffee sold my son a 'nut-free' cardamom bun that contained almonds. "
        "We spent the night in the ER. Safety issue, please share."
    )
    viral.growth, viral.likes, viral.reposts, viral.peak_hours = 9000.0, 40, 25, 1.5
    out.append(viral)
    out.append(_spreading(random.Random(f"spreading-{size}")))  # noqa: S311
    for i, (title, text) in enumerate(HOSTILE):
        platform = ("reddit", "mastodon", "appstore", "feed")[i]
        m = _mention(rng, platform, "complaint", -600.0 - 300 * i)
        m.title, m.text, m.language = title, text, "en"
        out.append(m)
    for platform in ("hackernews", "reddit", "feed"):
        out.append(_mention(rng, platform, "offtopic", -rng.uniform(3600, 3 * DAY)))
    return out


def _spreading(rng: random.Random) -> SampleMention:
    """The complaint the demo watches go viral: posted half a minute of sample time after the start,
    flagged by its words as an ordinary complaint, then spreading fast (its own random stream)."""
    m = _mention(rng, "mastodon", "complaint", 30.0)
    m.author, m.language, m.rating = SampleAuthor("dana_reyes", "Dana Reyes", 1_900), "en", None
    m.title = ""
    m.text = (
        "Northwind Coffee, your rewards app wiped the 2,400 stars I saved all year, the day before my "
        "birthday drink. Support just says nothing can be done. Really disappointed. #northwindcoffee"
    )
    m.likes, m.replies, m.reposts = 1, 0, 0
    m.growth, m.peak_hours, m.steep = 4000.0, 0.5, 10.0  # quiet for minutes, then it takes off
    return m


def _fast_growers(sample: Sample) -> None:
    """Mark ``FAST_SHARE`` of each social platform's posts as fast growers and ``WAVE_SHARE`` of the
    rest as shared again later, from their own random stream."""
    rng = random.Random(f"fast-{sample.seed}-{sample.size}")  # noqa: S311
    for platform in FAST_PLATFORMS:
        ordinary = [m for m in sample.by_platform[platform] if m.peak_hours is None]
        for m in rng.sample(ordinary, min(len(ordinary), max(1, round(FAST_SHARE * len(ordinary))))):
            m.peak_hours = rng.uniform(0.4, 1.5)
            m.growth = rng.choice((300.0, 800.0, 2000.0, 5000.0))
        calm = [m for m in sample.by_platform[platform] if m.peak_hours is None]
        for m in rng.sample(calm, round(WAVE_SHARE * len(calm))):
            m.wave = (rng.uniform(2.0, 24.0), float(rng.choice((10, 20, 40, 80))))


def build_sample(
    size: int = 300,
    seed: int = 7,
    *,
    future_fraction: float = 0.1,
    future_window: float = 1800.0,
    history_days: float = 7.0,
) -> Sample:
    """The data set of about ``size`` mentions (exactly ``size`` when size ≥ 60) for ``seed``."""
    rng = random.Random(seed)  # noqa: S311  (a reproducible sample, not secrets)
    mentions = _specials(rng, size, future_window)
    categories = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    platforms, shares = list(PLATFORMS), list(PLATFORMS.values())
    while len(mentions) < size:
        platform = rng.choices(platforms, shares)[0]
        category = rng.choices(categories, weights)[0]
        offset = _offset(rng, future_fraction, future_window, history_days)
        mentions.append(_mention(rng, platform, category, offset))
    by_platform: dict[str, list[SampleMention]] = {p: [] for p in PLATFORMS}
    for m in mentions:
        by_platform[m.platform].append(m)
    for items in by_platform.values():
        items.sort(key=lambda m: m.offset)
        for rank, m in enumerate(items):
            m.rank = rank
    sample = Sample(seed=seed, size=size, by_platform=by_platform)
    _fast_growers(sample)
    return sample
