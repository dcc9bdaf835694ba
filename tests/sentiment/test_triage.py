"""Triage flags with reasons: negativity, severity, relevance, virality and priority."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sentiment.base import Prediction
from sentiment.triage import negative_reasons, priority, relevance, severity_terms
from sentiment.virality import is_accelerating, usual_rate, virality
from tests.sentiment.triaging import triage_at

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NEG = Prediction("negative", 0.91, {"negative": 0.91, "neutral": 0.06, "positive": 0.03})
NEUTRAL = Prediction("neutral", 0.8, {"negative": 0.1, "neutral": 0.8, "positive": 0.1})


def _triage(text, prediction=NEG, **kw):
    return triage_at(NOW, text, prediction, **kw)


def test_likely_negative_is_flagged_with_model_and_p_negative():
    verdict = _triage("the app keeps crashing")
    assert verdict.flagged and verdict.severity == "medium"
    assert verdict.reasons[0] == "negative (builtin, P(negative) 0.91 ≥ 0.60)"


def test_unsure_negative_is_not_flagged():
    assert not _triage("hmm", Prediction("negative", 0.5, {})).flagged


def test_p_negative_is_compared_not_the_winning_label():
    """A neutral argmax with P(negative) 0.34 is flagged at a policy threshold of 0.27 and says why."""
    mixed = Prediction("neutral", 0.5, {"negative": 0.34, "neutral": 0.5, "positive": 0.16})
    verdict = _triage("the parcel is late again", mixed, threshold=0.27, recall_target=0.9)
    assert verdict.flagged
    assert verdict.reasons[0] == "negative (builtin, P(negative) 0.34 ≥ 0.27, set for 90 % recall)"
    assert not _triage("the parcel is late again", mixed, threshold=0.35).flagged


def test_low_star_rating_flags_mild_text():
    verdict = _triage("it was fine I guess", NEUTRAL, rating=2)
    assert verdict.flagged
    assert "rating 2 of 5" in verdict.reasons[0]
    assert negative_reasons(NEUTRAL, 4, 0.6) == []


def test_critical_topics_are_named_in_the_reasons():
    cases = {
        "my charger caught fire": "safety",
        "I'm talking to my lawyer": "legal threat",
        "you sent me someone else's invoice": "data leak",
        "your guard was racist to me": "discrimination",
        "I am going to the press with this": "going to the press",
    }
    for text, topic in cases.items():
        level, reasons = severity_terms(text)
        assert level == "critical", text
        assert reasons[0].startswith(f"critical: {topic}"), reasons


def test_refund_and_cancel_are_high():
    level, reasons = severity_terms("cancel my plan and refund me")
    assert level == "high"
    assert {r.split(" (")[0] for r in reasons} == {"high: cancellation", "high: refund or money"}


def test_second_failure_raises_severity_and_says_so():
    verdict = _triage("still broken", second_failure_of=12)
    assert verdict.severity == "high"
    assert "second failure: mention 12 from this author was resolved before" in verdict.reasons


def test_big_reach_makes_a_medium_complaint_high():
    assert _triage("the app keeps crashing", reach=250_000).severity == "high"


def test_watch_exclusion_terms_rule_out_the_fruit():
    fruit = relevance("baking an apple pie tonight", ["Apple"], ["apple pie"], "apple-brand")
    phone = relevance("my Apple watch died after a week", ["Apple"], ["apple pie"], "apple-brand")
    assert not fruit.relevant and fruit.reason == "excluded by 'apple pie' (watch apple-brand)"
    assert phone.relevant and phone.reason == "matched 'Apple' (watch apple-brand)"
    assert not _triage("apple pie was awful", relevant=fruit).flagged


def test_watch_terms_match_next_to_scripts_written_without_spaces():
    tea = relevance("Northwindのchaiが大好き", ["Northwind"], [], "nw")
    traders = relevance("Northwind Tradersの株価", ["Northwind"], ["Northwind Traders"], "nw")
    longer = relevance("the Northwindy weather", ["Northwind"], [], "nw")
    assert tea.reason == "matched 'Northwind' (watch nw)"
    assert not traders.relevant and traders.reason == "excluded by 'Northwind Traders' (watch nw)"
    assert not longer.reason.startswith("matched")


def test_priority_orders_severity_first_then_spread_then_age():
    critical = priority("critical", 0.0, None, NOW, NOW)
    high_viral = priority("high", 1.0, 1_000_000, NOW, NOW)
    high = priority("high", 0.0, None, NOW, NOW)
    high_old = priority("high", 0.0, None, NOW - timedelta(hours=5), NOW)
    assert critical > high_viral > high_old > high


def _snap(minutes, likes, reposts=0):
    return SimpleNamespace(
        taken_at=NOW - timedelta(minutes=minutes),
        likes=likes,
        replies=0,
        reposts=reposts,
        score=0,
        followers=None,
    )


def test_fast_growing_post_scores_viral_and_accelerating():
    published = NOW - timedelta(hours=2)
    snaps = [_snap(90, 10), _snap(60, 20), _snap(0, 400, reposts=100)]
    spread = virality(snaps, published, reach=50_000, usual=5.0)
    quiet = virality([_snap(60, 1), _snap(0, 2)], published, reach=100, usual=5.0)
    assert spread.accelerating and spread.score > 0.8
    assert not quiet.accelerating and quiet.score < 0.2


def test_steady_growth_is_not_accelerating():
    assert not is_accelerating([_snap(120, 0), _snap(60, 50), _snap(0, 100)], usual=5.0)


def test_usual_rate_needs_enough_history():
    assert usual_rate([100.0, 200.0]) == 5.0
    assert usual_rate([1.0, 2.0, 3.0, 4.0, 50.0]) == 3.0
