"""Small builders for test rows, written through the real tables."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Engine

from bounceback.db import session
from bounceback.tables import Author, Mention, Source

_counter = itertools.count(1)


def make_source(engine: Engine, kind: str = "feed", **params: Any) -> Source:
    """A stored source with a unique name."""
    with session(engine) as sess:
        source = Source(kind=kind, name=f"{kind}-{next(_counter)}", params=params or {"url": "http://x"})
        sess.add(source)
        sess.flush()
        return source


def make_author(engine: Engine, handle: str = "", platform: str = "reddit", **kw: Any) -> Author:
    """A stored author."""
    with session(engine) as sess:
        author = Author(platform=platform, handle=handle or f"user{next(_counter)}", **kw)
        sess.add(author)
        sess.flush()
        return author


def make_mention(engine: Engine, source: Source | None = None, **kw: Any) -> Mention:
    """A stored mention (status open unless given)."""
    source = source or make_source(engine)
    fields: dict[str, Any] = {"status": "open", "text": "the app lost my order", **kw}
    with session(engine) as sess:
        mention = Mention(source_id=source.id, external_id=f"ext-{next(_counter)}", **fields)
        sess.add(mention)
        sess.flush()
        return mention
