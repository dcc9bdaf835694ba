"""Adding, listing, enabling and removing sources (CLI and dashboard call these)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlmodel import col

from bounceback.db import session
from bounceback.errors import InvalidInput, NotFound
from bounceback.tables import CrawlRun, Mention, Source, SourceCreate
from bounceback.types import SourceKind

# What each kind needs to know; any one of the names in a tuple is enough.
REQUIRED_PARAMS: dict[SourceKind, list[tuple[str, ...]]] = {
    SourceKind.reddit: [("query", "subreddit")],
    SourceKind.hackernews: [("query",)],
    SourceKind.mastodon: [("instance",), ("query", "tag")],
    SourceKind.bluesky: [("query", "actor")],
    SourceKind.appstore: [("app_id",)],
    SourceKind.googleplay: [("app_id",)],
    SourceKind.trustpilot: [("company", "url")],
    SourceKind.schemaorg: [("url",)],
    SourceKind.feed: [("url",)],
}
MIN_INTERVAL_SECONDS = 60


def validate_source(data: SourceCreate) -> SourceCreate:
    """Check kind, name, interval and the parameters the kind needs; raise `InvalidInput`."""
    try:
        kind = SourceKind(data.kind)
    except ValueError:
        kinds = ", ".join(k.value for k in SourceKind)
        raise InvalidInput(f"unknown source kind {data.kind!r}; choose one of {kinds}") from None
    if not data.name.strip():
        raise InvalidInput("a source needs a name")
    if data.interval_seconds < MIN_INTERVAL_SECONDS:
        raise InvalidInput(f"interval must be at least {MIN_INTERVAL_SECONDS}s to stay polite")
    for names in REQUIRED_PARAMS[kind]:
        if not any(str(data.params.get(n, "")).strip() for n in names):
            raise InvalidInput(f"a {kind.value} source needs {' or '.join('--' + n for n in names)}")
    return data


def add_source(data: SourceCreate, *, engine: Engine | None = None) -> Source:
    """Store a new source after validation; the name must be unique."""
    validate_source(data)
    with session(engine) as sess:
        if sess.execute(select(col(Source.id)).where(col(Source.name) == data.name)).first():
            raise InvalidInput(f"a source named {data.name!r} already exists")
        source = Source.model_validate(data)
        sess.add(source)
        sess.flush()
        return source


def list_sources(*, engine: Engine | None = None) -> list[Source]:
    """Every source, by id."""
    with session(engine, readonly=True) as sess:
        return list(sess.execute(select(Source).order_by(col(Source.id))).scalars())


def get_source(ref: str | int, *, engine: Engine | None = None) -> Source:
    """A source by id or by name."""
    with session(engine, readonly=True) as sess:
        query = select(Source)
        if isinstance(ref, int) or str(ref).isdigit():
            query = query.where(col(Source.id) == int(ref))
        else:
            query = query.where(col(Source.name) == ref)
        source = sess.execute(query).scalars().first()
    if source is None:
        raise NotFound(f"no source {ref!r}")
    return source


def set_enabled(ref: str | int, enabled: bool, *, engine: Engine | None = None) -> Source:
    """Enable or disable a source."""
    source = get_source(ref, engine=engine)
    with session(engine) as sess:
        sess.execute(update(Source).where(col(Source.id) == source.id).values(enabled=enabled))
    source.enabled = enabled
    return source


def remove_source(ref: str | int, *, engine: Engine | None = None) -> Source:
    """Delete a source that has no mentions yet (disable it otherwise, so nothing is lost)."""
    source = get_source(ref, engine=engine)
    with session(engine) as sess:
        count = sess.execute(select(func.count()).where(col(Mention.source_id) == source.id)).scalar_one()
        if count:
            raise InvalidInput(
                f"source {source.name!r} has {count} mentions; disable it instead of removing it"
            )
        sess.execute(delete(CrawlRun).where(col(CrawlRun.source_id) == source.id))
        sess.execute(delete(Source).where(col(Source.id) == source.id))
    return source


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["key=value", …]`` → dict; refuses a pair without ``=``."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"parameter {pair!r} is not KEY=VALUE")
        params[key.strip()] = value.strip()
    return params
