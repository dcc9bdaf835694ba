"""Triage: which mentions a person must see, how bad they are, and why — every flag carries its reasons.

Pure functions over plain values; the scoring job (`sentiment.scoring`) feeds them database rows.

Priority (the queue order, higher first) is one number:

    priority = SEVERITY_POINTS[severity] + 30 * viral_score + 10 * reach_part + min(5, hours waiting)

with SEVERITY_POINTS critical 150, high 100, medium 50, low 0, and reach_part = min(1, log10(1 + reach) / 6)
(a million followers counts fully). Severity always dominates (the other terms add at most 45, less
than the 50 between two severities); within a severity, fast-spreading and far-reaching complaints
come first, and an item that has waited longer climbs a little.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bounceback.terms import term_pattern
from sentiment import severity_words
from sentiment.base import Prediction

SEVERITY_POINTS = {"critical": 150.0, "high": 100.0, "medium": 50.0, "low": 0.0}
RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
RATING_FLAG_AT = 3.0  # stars out of 5
VIRAL_HIGH = 0.7
REACH_HIGH = 10_000
WORDS_FLAG = ("critical", "high")  # severities whose words flag a mention whatever the model says
BY_WORDS = " — flagged by its words, whatever the model says"


@dataclass(frozen=True)
class Relevance:
    """Whether the mention is about the watched brand, and the words that decided it."""

    relevant: bool
    reason: str


@dataclass(frozen=True)
class Verdict:
    """Everything triage decided about one mention."""

    flagged: bool
    severity: str
    priority: float
    reasons: list[str] = field(default_factory=list)


def p_negative(prediction: Prediction | None) -> float | None:
    """The prediction's P(negative); one without probabilities counts its confidence if it says negative."""
    if prediction is None:
        return None
    if "negative" in prediction.probabilities:
        return float(prediction.probabilities["negative"])
    return prediction.confidence if prediction.label == "negative" else 0.0


def negative_reasons(
    prediction: Prediction | None,
    rating: float | None,
    threshold: float,
    model: str = "model",
    recall_target: float | None = None,
) -> list[str]:
    """Why the mention counts as a complaint: P(negative) ≥ ``threshold``, or a star rating ≤ 3 (of 5).

    ``recall_target`` names the share of complaints the threshold was set to catch (a model's flag
    policy); None when the threshold is the plain setting.
    """
    reasons = []
    p = p_negative(prediction)
    if p is not None and p >= threshold:
        basis = f", set for {recall_target * 100:g} % recall" if recall_target is not None else ""
        reasons.append(f"negative ({model}, P(negative) {p:.2f} ≥ {threshold:.2f}{basis})")
    if rating is not None and rating <= RATING_FLAG_AT:
        reasons.append(f"rating {rating:g} of 5 (≤ {RATING_FLAG_AT:g} counts as a complaint)")
    return reasons


def severity_terms(text: str, language: str | None = None) -> tuple[str, list[str]]:
    """The severity the words alone give (critical, high or medium) and the reasons naming them.

    English words always count, ``language``'s own (de, fr, es, pt, it, nl) when the text is in it.
    """
    return severity_words.find(text, language)


def _escalate(
    level: str, reasons: list[str], *, second_failure: bool, viral_score: float, reach: int | None
) -> str:
    if second_failure and RANK[level] < RANK["high"]:
        level = "high"
        reasons.append("high: second failure for this customer")
    if level == "medium" and (viral_score >= VIRAL_HIGH or (reach or 0) >= REACH_HIGH):
        level = "high"
        reasons.append(f"high: reach {reach or 0:,} / viral score {viral_score:.2f}")
    return level


def assess_severity(
    text: str, *, second_failure: bool, viral_score: float, reach: int | None, language: str | None = None
) -> tuple[str, list[str]]:
    """Severity of a flagged mention from its words, a second failure and its reach."""
    level, reasons = severity_terms(text, language)
    level = _escalate(level, reasons, second_failure=second_failure, viral_score=viral_score, reach=reach)
    return level, reasons


def reach_part(reach: int | None) -> float:
    """0-1: log-scaled audience (1 M followers or members → 1)."""
    return min(1.0, math.log10(1 + max(0, reach or 0)) / 6)


def priority(
    severity: str, viral_score: float, reach: int | None, published_at: datetime | None, now: datetime
) -> float:
    """The queue-order number documented at the top of this module."""
    hours = max(0.0, (now - published_at).total_seconds() / 3600) if published_at else 0.0
    value = SEVERITY_POINTS[severity] + 30 * viral_score + 10 * reach_part(reach) + min(5.0, hours)
    return round(value, 3)


def relevance(text: str, terms: Sequence[str], exclude_terms: Sequence[str], watch: str = "") -> Relevance:
    """Matched because of which watch term; ruled out by which exclusion term ("apple pie" vs Apple)."""
    label = f" (watch {watch})" if watch else ""
    for term in exclude_terms:
        if term_pattern(term).search(text):
            return Relevance(False, f"excluded by {term!r}{label}")
    matched = [term for term in terms if term_pattern(term).search(text)]
    if matched:
        return Relevance(True, "matched " + ", ".join(repr(t) for t in matched) + label)
    if not terms:
        return Relevance(True, f"no watch terms{label}: everything from the source counts")
    return Relevance(True, f"no watch term in the text; kept because the source was crawled for it{label}")


def triage(
    text: str,
    prediction: Prediction | None,
    *,
    rating: float | None,
    threshold: float,
    model: str,
    viral_score: float,
    accelerating: bool,
    reach: int | None,
    published_at: datetime | None,
    now: datetime,
    second_failure_of: int | None = None,
    relevant: Relevance | None = None,
    recall_target: float | None = None,
    language: str | None = None,
    unsupported_language: bool = False,
) -> Verdict:
    """Combine the signals into flagged or not, a severity, a priority and the reasons for each.

    A mention is flagged by any of: P(negative) ≥ ``threshold``; a star rating ≤ 3; critical or high
    severity words (whatever the model says); a language no configured model reads
    (``unsupported_language``: a person reads it, its severity from its words and rating).
    """
    if relevant is not None and not relevant.relevant:
        return Verdict(False, "low", priority("low", 0.0, reach, published_at, now), [relevant.reason])
    reasons = negative_reasons(prediction, rating, threshold, model, recall_target)
    if unsupported_language:
        reasons.append(f"language not supported ({language}): a person should read it")
    level, severity_reasons = severity_terms(text, language)
    if not reasons and level not in WORDS_FLAG:
        return Verdict(False, "low", priority("low", viral_score, reach, published_at, now), [])
    if not reasons:  # the words alone flag it
        reasons.append(severity_reasons.pop(0) + BY_WORDS)
    if second_failure_of is not None:
        reasons.append(f"second failure: mention {second_failure_of} from this author was resolved before")
    if accelerating:
        reasons.append(f"accelerating (viral score {viral_score:.2f})")
    elif viral_score >= VIRAL_HIGH:
        reasons.append(f"spreading fast (viral score {viral_score:.2f})")
    if unsupported_language and level == "medium" and rating is not None and rating > RATING_FLAG_AT:
        level = "low"  # unread, but its stars say it is no complaint
        severity_reasons.append(f"low: rating {rating:g} of 5 and no severity words")
    level = _escalate(
        level,
        severity_reasons,
        second_failure=second_failure_of is not None,
        viral_score=viral_score,
        reach=reach,
    )
    reasons.extend(severity_reasons)
    return Verdict(True, level, priority(level, viral_score, reach, published_at, now), reasons)
