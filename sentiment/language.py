"""Language detection (py3langid), careful with short texts where guesses are unreliable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_NOISE = re.compile(r"(https?://\S+|[@#]\w+)")
MIN_LETTERS = 12  # below this, py3langid's guess is little better than chance: assume English
MIN_CONFIDENCE = 0.9


@dataclass(frozen=True)
class LanguageGuess:
    """ISO 639-1 code, the detector's confidence, and whether it was reliable enough to act on."""

    code: str
    confidence: float
    reliable: bool


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> LanguageGuess:
    """Guess the language of ``text`` (URLs, @handles and #tags ignored)."""
    cleaned = _NOISE.sub(" ", text)
    letters = len(_LETTERS.findall(cleaned))
    if letters < MIN_LETTERS:
        return LanguageGuess("en", 0.0, False)
    code, confidence = _identifier().classify(cleaned[:2000])
    return LanguageGuess(str(code), float(confidence), float(confidence) >= MIN_CONFIDENCE)


def is_english(guess: LanguageGuess) -> bool:
    """English, or too unsure to say otherwise (an unreliable guess never hides a complaint)."""
    return guess.code == "en" or not guess.reliable
