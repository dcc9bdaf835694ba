"""Accuracy, macro-F1 and per-class precision/recall/F1 without scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sentiment.labels import LABELS


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall and F1 of one label."""

    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Report:
    """The figures `python -m sentiment.evaluate` prints."""

    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScores]


def score(gold: Sequence[str], predicted: Sequence[str]) -> Report:
    """Compare gold and predicted labels (same length) over the three labels."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    per_class: dict[str, ClassScores] = {}
    for label in LABELS:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = ClassScores(precision, recall, f1)
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    accuracy = correct / len(gold) if gold else 0.0
    macro = sum(c.f1 for c in per_class.values()) / len(LABELS)
    return Report(len(gold), accuracy, macro, per_class)
