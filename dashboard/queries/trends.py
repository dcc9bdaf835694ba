"""Reputation and recovery figures for marketing: volume, sentiment, topics, incidents, recovery.

Aggregation happens in SQL (one GROUP BY per figure); only the flagged mentions of the window are
read row by row, for the recovery timings.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Engine, and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from bounceback.tables import Incident, Source, Watch
from bounceback.types import CLOSED, MentionStatus, utcnow
from dashboard.queries.common import M, day_bucket, engine_or_default, mention_time, reader

S = Source.__table__  # type: ignore[attr-defined]
W = Watch.__table__  # type: ignore[attr-defined]
I = Incident.__table__  # type: ignore[attr-defined]  # noqa: E741
TOPIC_SAMPLE = 1500
_STOPWORDS_TEXT = """
    a about after again all also am an and any app are as at be been before but by can cant could did
    didnt do does doesnt dont for from get got had has have having he her here him his how i if im in
    into is isnt it its ive just me my no not now of off on one only or our out over really so some
    still than that thats the their them then there they this to too up us very was wasnt we were what
    when where which who why will with wont would you your youre
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass(frozen=True)
class Window:
    """The period the figures cover, [start, end)."""

    start: datetime
    end: datetime

    @classmethod
    def last_days(cls, days: int, now: datetime | None = None) -> Window:
        """The last ``days`` days up to ``now``."""
        now = now or utcnow()
        return cls(now - timedelta(days=days), now)


@dataclass(frozen=True)
class Summary:
    """The headline figures of a window."""

    mentions: int
    negative: int
    share_negative: float | None
    average_rating: float | None
    incidents: int
    flagged: int
    median_minutes_to_claim: float | None
    median_minutes_to_resolve: float | None
    sla_breaches: int
    resolved: int
    recovery_checked: int  # resolved mentions whose author spoke again afterwards
    recovered: int  # … and that next mention was not negative
    recovery_rate: float | None


def _in_window(window: Window) -> ColumnElement[bool]:
    """Mentions of the window, each post once (a copy seen via a second source is not counted again)."""
    when = mention_time()
    return and_(when >= window.start, when < window.end, M.c.status != MentionStatus.duplicate.value)


def volume(
    window: Window, *, by: Literal["source", "watch"] = "source", engine: Engine | None = None
) -> pd.DataFrame:
    """Per day and source (or watch): mentions, negative, share_negative, average_rating."""
    eng = engine_or_default(engine)
    day = day_bucket(mention_time(), eng).label("day")
    group = (S.c.name if by == "source" else func.coalesce(W.c.name, "(no watch)")).label("group")
    negative = func.sum(case((M.c.sentiment == "negative", 1), else_=0))
    joined = M.join(S, S.c.id == M.c.source_id).outerjoin(W, W.c.id == M.c.watch_id)
    query = (
        select(day, group, func.count().label("mentions"), negative.label("negative"), func.avg(M.c.rating))
        .select_from(joined)
        .where(_in_window(window))
        .group_by(day, group)
        .order_by(day)
    )
    with reader(eng).connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["day", "group", "mentions", "negative", "average_rating"])
    frame["day"] = pd.to_datetime(frame["day"])
    frame["mentions"] = frame["mentions"].astype(int)
    frame["negative"] = frame["negative"].fillna(0).astype(int)
    frame["share_negative"] = (frame["negative"] / frame["mentions"]).round(4)
    frame["average_rating"] = pd.to_numeric(frame["average_rating"]).round(2)
    return frame.rename(columns={"group": by})


def outcomes(window: Window, *, engine: Engine | None = None) -> pd.DataFrame:
    """How resolved mentions ended: columns outcome, mentions."""
    query = (
        select(M.c.outcome, func.count())
        .where(M.c.resolved_at >= window.start, M.c.resolved_at < window.end, M.c.outcome.is_not(None))
        .group_by(M.c.outcome)
        .order_by(func.count().desc())
    )
    with reader(engine).connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=["outcome", "mentions"])


def incidents_per_day(window: Window, *, engine: Engine | None = None) -> pd.DataFrame:
    """Incidents opened per day: columns day, incidents."""
    eng = engine_or_default(engine)
    day = day_bucket(I.c.opened_at, eng).label("day")
    query = (
        select(day, func.count())
        .where(I.c.opened_at >= window.start, I.c.opened_at < window.end)
        .group_by(day)
        .order_by(day)
    )
    with reader(eng).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=["day", "incidents"])
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def top_topics(window: Window, *, n: int = 10, engine: Engine | None = None) -> pd.DataFrame:
    """The words and word pairs negative mentions use most (a sample of the newest): topic, mentions."""
    query = (
        select(func.coalesce(M.c.title, ""), func.substr(M.c.text, 1, 500))
        .where(_in_window(window), M.c.sentiment == "negative")
        .order_by(M.c.id.desc())
        .limit(TOPIC_SAMPLE)
    )
    with reader(engine).connect() as conn:
        texts = [f"{title} {text or ''}" for title, text in conn.execute(query).all()]
    counts: Counter[str] = Counter()
    for text in texts:
        words = [w for w in re.findall(r"[a-z][a-z']{2,}", text.lower().replace("\u2019", "'"))]
        words = [w.replace("'", "") for w in words]
        kept = [w for w in words if w not in STOPWORDS]
        pairs = {f"{a} {b}" for a, b in pairwise(words) if a not in STOPWORDS and b not in STOPWORDS}
        counts.update(set(kept) | pairs)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1] * (1.5 if " " in kv[0] else 1.0), kv[0]))
    top = [(topic, c) for topic, c in ranked if c >= 2][:n]
    return pd.DataFrame(top, columns=["topic", "mentions"])


def summary(window: Window, *, now: datetime | None = None, engine: Engine | None = None) -> Summary:
    """Headline volume, sentiment, incident and recovery figures for ``window``."""
    now = now or utcnow()
    eng = reader(engine)
    in_window = _in_window(window)
    totals = select(
        func.count(),
        func.coalesce(func.sum(case((M.c.sentiment == "negative", 1), else_=0)), 0),
        func.avg(M.c.rating),
    ).where(in_window)
    in_flagged = and_(M.c.flagged_at >= window.start, M.c.flagged_at < window.end)
    closed = [s.value for s in CLOSED]
    breached = or_(
        M.c.first_claimed_at > M.c.sla_due_at,
        and_(M.c.first_claimed_at.is_(None), M.c.status.notin_(closed), M.c.sla_due_at < now),
    )
    flagged = select(func.count(), func.coalesce(func.sum(case((breached, 1), else_=0)), 0)).where(in_flagged)
    eng_any = engine_or_default(engine)
    to_claim = minutes_between(M.c.flagged_at, M.c.first_claimed_at, eng_any)
    to_resolve = minutes_between(M.c.flagged_at, M.c.resolved_at, eng_any)
    timings = select(to_claim, to_resolve).where(in_flagged, M.c.first_claimed_at.is_not(None))
    incidents = select(func.count()).where(I.c.opened_at >= window.start, I.c.opened_at < window.end)
    with eng.connect() as conn:
        count, negative, rating = conn.execute(totals).one()
        n_flagged, breaches = conn.execute(flagged).one()
        durations = conn.execute(timings).all()
        n_incidents = conn.execute(incidents).scalar_one()
    checked, recovered, resolved = _recovery(window, engine=engine)
    return Summary(
        mentions=int(count),
        negative=int(negative),
        share_negative=round(negative / count, 4) if count else None,
        average_rating=round(float(rating), 2) if rating is not None else None,
        incidents=int(n_incidents),
        flagged=int(n_flagged),
        median_minutes_to_claim=_median([d[0] for d in durations]),
        median_minutes_to_resolve=_median([d[1] for d in durations]),
        sla_breaches=int(breaches),
        resolved=resolved,
        recovery_checked=checked,
        recovered=recovered,
        recovery_rate=round(recovered / checked, 4) if checked else None,
    )


def minutes_between(start: ColumnElement[Any], end: ColumnElement[Any], engine: Engine) -> ColumnElement[Any]:
    """``end - start`` in minutes as a number, on SQLite and PostgreSQL."""
    if engine.dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def _median(values: list[Any]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def _recovery(window: Window, *, engine: Engine | None = None) -> tuple[int, int, int]:
    """(checked, recovered, resolved): of the mentions resolved in the window, how many authors spoke
    again afterwards, and how many of those next mentions were not negative."""
    later = M.alias("later")
    later_when = func.coalesce(later.c.published_at, later.c.fetched_at)
    next_id: Any = (
        select(later.c.id)
        .where(later.c.author_id == M.c.author_id, later.c.id != M.c.id, later_when > M.c.resolved_at)
        .order_by(later_when, later.c.id)
        .limit(1)
        .scalar_subquery()
    )
    resolved = (
        select(M.c.author_id, next_id.label("next_id"))
        .where(M.c.status == "resolved", M.c.resolved_at >= window.start, M.c.resolved_at < window.end)
        .subquery()
    )
    nxt = M.alias("nxt")
    query = select(
        resolved.c.author_id, resolved.c.next_id, nxt.c.sentiment.label("next_sentiment")
    ).select_from(resolved.outerjoin(nxt, nxt.c.id == resolved.c.next_id))
    with reader(engine).connect() as conn:
        rows = conn.execute(query).all()
    checked = [r for r in rows if r.author_id is not None and r.next_id is not None and r.next_sentiment]
    recovered = sum(1 for r in checked if r.next_sentiment != "negative")
    return len(checked), recovered, len(rows)


def to_csv(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV with a header row (for the download buttons)."""
    return frame.to_csv(index=False).encode("utf-8")
