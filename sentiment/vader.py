"""The VADER lexicon baseline, also the fallback when no model can load."""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib.metadata import version

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from sentiment.base import Prediction
from sentiment.flag_policy import FlagPolicy

THRESHOLD = 0.05  # VADER's documented compound cut-off


class VaderClassifier:
    """Label by VADER's compound score (±0.05); confidence grows with |compound|."""

    name = "vader"
    flag_policy: FlagPolicy | None = None  # a lexicon has no curve: BOUNCEBACK_NEGATIVE_THRESHOLD applies

    def __init__(self) -> None:
        self.revision = version("vaderSentiment")
        self._analyzer = SentimentIntensityAnalyzer()

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """Score each text with the lexicon."""
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> Prediction:
        scores = self._analyzer.polarity_scores(text)
        compound = float(scores["compound"])
        if compound >= THRESHOLD:
            label = "positive"
        elif compound <= -THRESHOLD:
            label = "negative"
        else:
            label = "neutral"
        strength = min(1.0, abs(compound))
        # A soft distribution so VADER scores sit in the same columns as model probabilities.
        logits = {"negative": -compound * 3, "neutral": (1 - strength) * 1.5, "positive": compound * 3}
        total = sum(math.exp(v) for v in logits.values())
        probs = {k: round(math.exp(v) / total, 6) for k, v in logits.items()}
        return Prediction(label, probs[label], probs)
