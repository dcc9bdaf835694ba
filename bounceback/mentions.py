"""Reading mentions for the CLI and anything else that lists them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from bounceback.db import session
from bounceback.errors import NotFound
from bounceback.tables import Mention


def list_mentions(
    *, status: list[str] | None = None, limit: int = 50, engine: Engine | None = None
) -> list[Mention]:
    """Mentions by priority (highest first), then newest; optionally only some statuses."""
    query = select(Mention).order_by(col(Mention.priority).desc(), col(Mention.id).desc()).limit(limit)
    if status:
        query = query.where(col(Mention.status).in_(status))
    with session(engine, readonly=True) as sess:
        return list(sess.execute(query).scalars())


def get_mention(mention_id: int, *, engine: Engine | None = None) -> Mention:
    """One mention by id."""
    with session(engine, readonly=True) as sess:
        mention = sess.get(Mention, mention_id)
    if mention is None:
        raise NotFound(f"mention {mention_id} does not exist")
    return mention


def mention_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Full column dicts for a bulk ``insert(Mention.__table__)``, the model's defaults filled in.

    Core inserts skip the model's Python-side defaults (JSON columns, times, version); this applies them,
    so seeders give only the columns they care about.
    """
    columns = [c.name for c in Mention.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]
    out = []
    for values in rows:
        mention = Mention(**values)
        out.append({name: getattr(mention, name) for name in columns})
    return out
