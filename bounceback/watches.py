"""Watches: the brand terms to listen for and the terms that rule a match out."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlmodel import col

from bounceback.db import session
from bounceback.errors import InvalidInput
from bounceback.tables import Watch


def _clean(terms: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for term in terms:
        term = " ".join(term.split())
        if term:
            seen.setdefault(term, None)
    return list(seen)


def add_watch(
    name: str,
    terms: list[str],
    exclude_terms: list[str] | None = None,
    languages: list[str] | None = None,
    *,
    engine: Engine | None = None,
) -> Watch:
    """Store a watch; it needs a unique name and at least one term."""
    terms = _clean(terms)
    if not name.strip():
        raise InvalidInput("a watch needs a name")
    if not terms:
        raise InvalidInput("a watch needs at least one term")
    with session(engine) as sess:
        if sess.execute(select(col(Watch.id)).where(col(Watch.name) == name)).first():
            raise InvalidInput(f"a watch named {name!r} already exists")
        watch = Watch(
            name=name,
            terms=terms,
            exclude_terms=_clean(exclude_terms or []),
            languages=[lang.lower() for lang in _clean(languages or [])],
        )
        sess.add(watch)
        sess.flush()
        return watch


def list_watches(*, engine: Engine | None = None, enabled_only: bool = False) -> list[Watch]:
    """Every watch, by id."""
    with session(engine, readonly=True) as sess:
        query = select(Watch).order_by(col(Watch.id))
        if enabled_only:
            query = query.where(col(Watch.enabled).is_(True))
        return list(sess.execute(query).scalars())
