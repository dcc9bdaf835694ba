"""Severity words in English, German, French, Spanish, Portuguese, Italian and Dutch.

Critical and high words flag a mention by themselves (see `sentiment.triage`), so every pattern is a
complaint phrase, not a bare word that praise or slang also uses: "caught fire", not "fire" ("this
feature is fire"); "my lawyer", not "lawyer" ("as a lawyer I love it"); "want to cancel", not
"cancel" ("noise cancelling"). Patterns are written without accents and matched case-insensitively
on the text folded to base letters of the same length (é→e, ü→u, ç→c, curly apostrophe→'), so
"Rückerstattung", "Rueckerstattung" and "RÜCKERSTATTUNG" all match ``r(?:u|ue)ckerstattung`` (German
umlauts written as ae/oe/ue are spelled out where they occur); a pattern whose accent tells two words
apart is written with it and matched on the original text (German "kündige", not "kundige",
knowledgeable). Every pattern starts at a word boundary (Unicode-aware); German and Dutch patterns
that end a compound allow a prefix (``\\w*anwalt``: Rechtsanwalt). The tables are in
`sentiment.severity_tables`.

English applies to every text (customers mix in English: "refund", "scam"); a language's own table
applies when the mention was detected as that language, so a homograph in another language (Dutch
"brand" is fire, French "avocat" is also avocado) cannot flag an English post. The other languages
keep the bare refund nouns ("remboursement", "Rückerstattung"): without a multilingual model their
words and ratings are all triage has, so they lean to recall.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from sentiment.severity_tables import BY_LANGUAGE, ENGLISH

LANGUAGES = tuple(BY_LANGUAGE)


@lru_cache(maxsize=4096)
def _base(char: str) -> str:
    if char.isascii():
        return char
    if char in "\u2018\u2019\u02bc":
        return "'"
    decomposed = unicodedata.normalize("NFD", char)
    return decomposed[0] if len(decomposed) > 1 else char


def fold(text: str) -> str:
    """``text`` with each letter reduced to its base letter (é→e, Ü→U, ç→c; ß stays); same length."""
    return "".join(_base(char) for char in text)


def find(text: str, language: str | None = None) -> tuple[str, list[str]]:
    """The highest level (critical, high, else medium) whose words occur, and a reason per topic found.

    English words always count; ``language``'s own words (ISO 639-1, e.g. "de") when it has a table.
    """
    original = unicodedata.normalize("NFC", text)
    folded = fold(original)
    tables = [ENGLISH] + ([BY_LANGUAGE[language]] if language in BY_LANGUAGE and language != "en" else [])
    for level in ("critical", "high"):
        found: dict[str, str] = {}
        for table in tables:
            for topic, pattern in table[level].items():
                if topic in found:
                    continue
                match = pattern.search(folded) or (
                    None if pattern.pattern.isascii() else pattern.search(original)
                )
                if match:
                    found[topic] = original[match.start() : match.end()].strip()
        if found:
            return level, [f"{level}: {topic} ({words!r})" for topic, words in found.items()]
    return "medium", []
