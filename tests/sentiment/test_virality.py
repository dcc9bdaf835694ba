"""Acceleration and the viral score on hand-made snapshots (no model, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sentiment.virality import MIN_GAIN, is_accelerating, virality

PUBLISHED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _at(minutes: float, likes: int) -> SimpleNamespace:
    return SimpleNamespace(
        taken_at=PUBLISHED + timedelta(minutes=minutes),
        likes=likes,
        replies=0,
        reposts=0,
        score=0,
        followers=None,
    )


def test_a_rate_doubling_from_the_first_interval_to_the_second_accelerates_with_two_snapshots():
    # 30 likes in the first half hour (60/h), then 30 more in the next quarter (120/h)
    snaps = [_at(30, 30), _at(45, 60)]
    assert is_accelerating(snaps, usual=5.0, published_at=PUBLISHED)
    assert virality(snaps, PUBLISHED, reach=100, usual=5.0).accelerating
    assert not is_accelerating(snaps, usual=5.0), (
        "without the publication time two snapshots are one interval"
    )


def test_steady_or_slowing_growth_and_small_numbers_do_not_accelerate():
    steady = [_at(30, 30), _at(45, 45), _at(60, 60)]
    slowing = [_at(30, 30), _at(45, 40), _at(60, 44)]
    noise = [_at(30, 0), _at(45, int(MIN_GAIN) - 1)]
    for snaps in (steady, slowing, noise):
        assert not is_accelerating(snaps, usual=1.0, published_at=PUBLISHED), snaps


def test_doubling_below_the_sources_usual_rate_is_not_acceleration():
    snaps = [_at(60, 20), _at(120, 60)]  # 20/h then 40/h: on a source where 50/h is usual
    assert is_accelerating(snaps, usual=5.0, published_at=PUBLISHED)
    assert not is_accelerating(snaps, usual=50.0, published_at=PUBLISHED)


def test_a_publication_time_after_the_first_snapshot_is_ignored():
    after_first = PUBLISHED + timedelta(minutes=40)  # a clock ahead: publication after the first crawl
    assert not is_accelerating([_at(30, 30), _at(45, 60)], usual=5.0, published_at=after_first)


def test_the_viral_score_rises_with_speed_against_the_usual_rate():
    slow = virality([_at(30, 3)], PUBLISHED, reach=0, usual=5.0)
    fast = virality([_at(30, 40)], PUBLISHED, reach=0, usual=5.0)
    assert slow.score < 0.3 < 0.7 <= fast.score
