"""Watch terms and exclusion terms: which crawled items are about us, and why (``match_reason``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlmodel import col

from bounceback.db import session
from bounceback.tables import Watch
from bounceback.terms import term_pattern
from crawlers.items import MentionItem

NO_WATCH_REASON = "no watch defined: kept what the source query returned"


@dataclass(frozen=True)
class WatchRule:
    """One enabled Watch, compiled."""

    id: int
    name: str
    terms: tuple[tuple[str, re.Pattern[str]], ...]
    excludes: tuple[tuple[str, re.Pattern[str]], ...]
    languages: frozenset[str]

    @classmethod
    def from_watch(cls, watch: Watch) -> WatchRule:
        """Compile a Watch row (blank terms are ignored)."""
        return cls(
            id=int(watch.id or 0),
            name=watch.name,
            terms=tuple((t.strip(), term_pattern(t)) for t in watch.terms if t.strip()),
            excludes=tuple((t.strip(), term_pattern(t)) for t in watch.exclude_terms if t.strip()),
            languages=frozenset(lang.strip().lower() for lang in watch.languages if lang.strip()),
        )

    def match(self, item: MentionItem) -> str | None:
        """The reason this watch matches ``item``, or None."""
        language = (item.language or "").lower().split("-")[0]
        if self.languages and language and language not in self.languages:
            return None
        fields = (("title", item.title or ""), ("text", item.text or ""))
        for _, pattern in self.excludes:
            if any(pattern.search(value) for _, value in fields):
                return None
        for term, pattern in self.terms:
            for where, value in fields:
                if pattern.search(value):
                    return f'watch "{self.name}": term "{term}" in {where}'
        return None


def load_watches(engine: Engine) -> list[WatchRule]:
    """Every enabled watch, compiled."""
    with session(engine, readonly=True) as sess:
        rows = sess.execute(select(Watch).where(col(Watch.enabled)).order_by(col(Watch.id))).scalars()
        return [WatchRule.from_watch(w) for w in rows]


def match_watches(watches: list[WatchRule], item: MentionItem) -> tuple[int | None, str] | None:
    """(watch id, reason) of the first watch matching ``item``; None when watches exist and none match.

    With no watch defined at all, every item the source query returned is kept (its reason says so).
    """
    if not watches:
        return None, NO_WATCH_REASON
    for watch in watches:
        reason = watch.match(item)
        if reason is not None:
            return watch.id, reason
    return None
