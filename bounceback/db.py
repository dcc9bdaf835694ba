"""Engines and sessions for SQLite (embedded default) and PostgreSQL (scale-out).

SQLite: WAL, a busy timeout, foreign keys on, and every transaction opened with ``BEGIN IMMEDIATE``
so that two writers queue on the busy timeout instead of failing with "database is locked" when a
read turns into a write. Read-only work passes ``readonly=True`` to :func:`session` and takes a
deferred transaction that never blocks writers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from bounceback.settings import get_settings

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """``postgresql://`` → psycopg 3 driver; everything else unchanged."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    # Writers of one process queue on a lock and are woken in turn, instead of polling SQLite's
    # busy handler (whose sleeps of up to 100 ms make the latency tail); other processes still
    # wait on busy_timeout.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("readonly"):
            conn.exec_driver_sql("BEGIN DEFERRED")
            return
        got = writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        conn.info["bb_writer_lock"] = got
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn)
            raise

    def _release(conn: Connection) -> None:
        if conn.info.pop("bb_writer_lock", False):
            writer.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def make_engine(url: str) -> Engine:
    """A new engine for ``url`` (SQLite gets its pragmas and IMMEDIATE transactions)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        size = get_settings().db_pool_size
        engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=size,
            max_overflow=size * 10,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _sqlite_setup(engine)
        return engine
    size = get_settings().db_pool_size
    return create_engine(url, pool_size=size, max_overflow=size, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured database), created once."""
    url = normalise_url(url or get_settings().database_url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every cached engine (tests, forked processes)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session(engine: Engine | None = None, *, readonly: bool = False) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    engine = engine or get_engine()
    bind = engine.execution_options(readonly=True) if readonly else engine
    with Session(bind, expire_on_commit=False) as sess:
        try:
            yield sess
            sess.commit()  # ends a read-only transaction too, keeping loaded objects usable
        except BaseException:
            sess.rollback()
            raise


def is_postgres(engine: Engine) -> bool:
    """True on PostgreSQL (where workers use FOR UPDATE SKIP LOCKED)."""
    return engine.dialect.name == "postgresql"
