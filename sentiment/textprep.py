"""Making a mention's text safe to score, or saying why it cannot be scored."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_CHARS = 5_000  # the model reads ~96 tokens; the head and tail of a long text carry the verdict
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


EMPTY_TEXT = "empty text: nothing to score"


@dataclass(frozen=True)
class Prepared:
    """The text to score (None when parked) and notes on what was done or why it was parked."""

    text: str | None
    notes: tuple[str, ...] = ()
    parked_reason: str | None = None


def _is_emoji_or_symbol(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sk", "Mn", "Cf") or char in "\u200d\ufe0f"


def emoji_words(text: str) -> str:
    """Spell symbols out by their Unicode names ("😡" → "pouting face") so the model can read them."""
    words = []
    for char in text:
        if char.isspace() or char in "\u200d\ufe0f" or unicodedata.category(char) in ("Mn", "Cf", "Sk"):
            continue
        words.append(unicodedata.name(char, "").lower())
    return " ".join(w for w in words if w)


def prepare(title: str | None, text: str | None) -> Prepared:
    """Join title and text, repair invalid Unicode, cut huge texts, read emoji-only texts by name."""
    joined = "\n".join(part for part in (title, text) if part and part.strip())
    notes: list[str] = []
    if _SURROGATES.search(joined):
        joined = _SURROGATES.sub("\ufffd", joined)
        notes.append("invalid Unicode replaced")
    joined = _CONTROL.sub(" ", joined)
    joined = unicodedata.normalize("NFC", joined).strip()
    if not joined:
        return Prepared(None, tuple(notes), EMPTY_TEXT)
    if len(joined) > MAX_CHARS:
        notes.append(f"text of {len(joined)} characters cut to its first {MAX_CHARS}")
        joined = joined[:MAX_CHARS]
    visible = [c for c in joined if not c.isspace()]
    if all(c == "\ufffd" for c in visible):
        return Prepared(None, tuple(notes), "text is only undecodable characters")
    if not any(c.isalnum() for c in visible):
        spelled = emoji_words("".join(c for c in joined if _is_emoji_or_symbol(c)))
        if not spelled:
            return Prepared(None, tuple(notes), "text has no words or emoji to read")
        notes.append("emoji-only text read by the emoji names")
        joined = spelled
    return Prepared(joined, tuple(notes))
