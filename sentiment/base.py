"""The `Classifier` protocol every sentiment backend implements, and what it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sentiment.flag_policy import FlagPolicy
from sentiment.labels import LABELS


@dataclass(frozen=True)
class Prediction:
    """One text's verdict: the label, how sure the model is, and every label's probability."""

    label: str
    confidence: float
    probabilities: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_probabilities(cls, probabilities: Sequence[float], labels: Sequence[str] = LABELS) -> Prediction:
        """The most probable label of a probability vector ordered like ``labels``."""
        best = max(range(len(labels)), key=lambda i: probabilities[i])
        probs = {label: round(float(p), 6) for label, p in zip(labels, probabilities, strict=True)}
        return cls(labels[best], float(probabilities[best]), probs)


@runtime_checkable
class Classifier(Protocol):
    """A sentiment model: ``name`` and ``revision`` are stored with every score it gives.

    Optional attribute ``flag_policy: FlagPolicy | None``: the P(negative) threshold chosen for a recall
    target, carried by a model trained with one (builtin). Read it with `flag_policy_of`; a backend
    without it flags at ``BOUNCEBACK_NEGATIVE_THRESHOLD``.
    """

    name: str
    revision: str

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in order."""
        ...


def flag_policy_of(classifier: Classifier) -> FlagPolicy | None:
    """The classifier's flag policy; None when it has none (or predates the attribute)."""
    policy = getattr(classifier, "flag_policy", None)
    return policy if isinstance(policy, FlagPolicy) else None


class ModelUnavailable(Exception):
    """A backend cannot load its model; ``permanent`` says whether retrying can help."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent
