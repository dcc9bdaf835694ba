"""Whole-word matching of watch terms, shared by the stages that decide what a mention is about.

A term matches where no letter of a space-separated script continues it: "Northwind" matches in
"Northwind's app" and "Northwindのchai" but not in "Northwindy". Scripts written without spaces between
words (Thai, Lao, Myanmar, Khmer, kana, CJK, Hangul with its attached particles) do not continue a term.
"""

from __future__ import annotations

import re
from functools import lru_cache

SPACELESS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff"
)
WORD_GOES_ON = f"[^\\W{SPACELESS}]"  # a word character of a script that separates words by spaces


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """A case-insensitive pattern finding ``term`` (stripped) as a whole word or phrase."""
    body = re.escape(term.strip())
    return re.compile(f"(?<!{WORD_GOES_ON}){body}(?!{WORD_GOES_ON})", re.IGNORECASE)
