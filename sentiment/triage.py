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
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bounceback.terms import term_pattern
from sentiment.base import Prediction

SEVERITY_POINTS = {"critical": 150.0, "high": 100.0, "medium": 50.0, "low": 0.0}
RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
RATING_FLAG_AT = 3.0  # stars out of 5
VIRAL_HIGH = 0.7
REACH_HIGH = 10_000


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)


CRITICAL: dict[str, re.Pattern[str]] = {
    "safety": _words(
        r"fire\b",
        r"caught fire",
        r"burn(?:t|ed|s)?\b",
        r"melt(?:ed|ing)",
        r"explod",
        r"injur",
        r"hospital",
        r"food poisoning",
        r"unsafe",
        r"hazard",
        r"choking",
        r"allergic reaction",
        r"electric shock",
        r"glass in",
        r"smoke came",
    ),
    "legal threat": _words(
        r"lawyer",
        r"attorney",
        r"lawsuit",
        r"sue\b",
        r"suing",
        r"legal action",
        r"small claims",
        r"court\b",
        r"solicitor",
        r"trading standards",
        r"ombudsman",
    ),
    "data leak": _words(
        r"data (?:leak|breach)",
        r"leak(?:ed)? my",
        r"hacked",
        r"gdpr",
        r"privacy breach",
        r"someone else'?s (?:data|invoice|order|account|name|address)",
        r"exposed my",
        r"my personal (?:data|details|information)",
    ),
    "discrimination": _words(
        r"discriminat",
        r"racis",
        r"sexis",
        r"homophob",
        r"transphob",
        r"ableis",
        r"because of my (?:race|accent|skin|religion|disability|gender)",
    ),
    "going to the press": _words(
        r"(?:going|go) to the (?:press|media|news)",
        r"journalist",
        r"reporter",
        r"contact(?:ing)? the (?:press|media|news)",
        r"watchdog",
        r"go viral",
    ),
}
HIGH: dict[str, re.Pattern[str]] = {
    "cancellation": _words(
        r"cancel",
        r"close my account",
        r"delete my account",
        r"switching to",
        r"switch(?:ed|ing)? (?:provider|bank|to)",
        r"taking my business",
    ),
    "refund or money": _words(
        r"refund",
        r"chargeback",
        r"charged (?:me )?twice",
        r"double charged",
        r"money back",
        r"overcharg",
        r"scam",
        r"fraud",
        r"debt collector",
    ),
    "never again": _words(
        r"never again",
        r"never (?:ordering|buying|using|flying|shopping|coming)",
        r"last time i",
        r"done with",
        r"worst (?:company|service|experience)",
    ),
}


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


def negative_reasons(
    prediction: Prediction | None, rating: float | None, threshold: float, model: str = "model"
) -> list[str]:
    """Why the mention counts as negative: confident negative label, or a star rating ≤ 3 (of 5)."""
    reasons = []
    if prediction is not None and prediction.label == "negative" and prediction.confidence >= threshold:
        reasons.append(f"negative ({model}, confidence {prediction.confidence:.2f} ≥ {threshold:.2f})")
    if rating is not None and rating <= RATING_FLAG_AT:
        reasons.append(f"rating {rating:g} of 5 (≤ {RATING_FLAG_AT:g} counts as a complaint)")
    return reasons


def severity_terms(text: str) -> tuple[str, list[str]]:
    """The severity the words alone give (critical, high or medium) and the reasons naming them."""
    for level, table in (("critical", CRITICAL), ("high", HIGH)):
        found = []
        for topic, pattern in table.items():
            match = pattern.search(text)
            if match:
                found.append(f"{level}: {topic} ({match.group(0).strip()!r})")
        if found:
            return level, found
    return "medium", []


def assess_severity(
    text: str, *, second_failure: bool, viral_score: float, reach: int | None
) -> tuple[str, list[str]]:
    """Severity of a flagged mention from its words, a second failure and its reach."""
    level, reasons = severity_terms(text)
    if second_failure and RANK[level] < RANK["high"]:
        level = "high"
        reasons.append("high: second failure for this customer")
    if level == "medium" and (viral_score >= VIRAL_HIGH or (reach or 0) >= REACH_HIGH):
        level = "high"
        reasons.append(f"high: reach {reach or 0:,} / viral score {viral_score:.2f}")
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
) -> Verdict:
    """Combine the signals into flagged or not, a severity, a priority and the reasons for each."""
    if relevant is not None and not relevant.relevant:
        return Verdict(False, "low", priority("low", 0.0, reach, published_at, now), [relevant.reason])
    reasons = negative_reasons(prediction, rating, threshold, model)
    if not reasons:
        return Verdict(False, "low", priority("low", viral_score, reach, published_at, now), [])
    if second_failure_of is not None:
        reasons.append(f"second failure: mention {second_failure_of} from this author was resolved before")
    if accelerating:
        reasons.append(f"accelerating (viral score {viral_score:.2f})")
    elif viral_score >= VIRAL_HIGH:
        reasons.append(f"spreading fast (viral score {viral_score:.2f})")
    level, severity_reasons = assess_severity(
        text, second_failure=second_failure_of is not None, viral_score=viral_score, reach=reach
    )
    reasons.extend(severity_reasons)
    return Verdict(True, level, priority(level, viral_score, reach, published_at, now), reasons)
