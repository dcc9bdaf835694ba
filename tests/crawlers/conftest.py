"""Crawler test helpers: a local HTTP server with a route table and scriptable faults, and crawl runners.

``fixture_server`` (function scope, one server per session underneath, routes reset per test) serves
the real captures in ../shared/fixtures by a route table::

    fixture_server.route("/search.json", Reply.file("reddit/search_all_2016.json"))
    fixture_server.route("/r/x/new.json", Reply(503), Reply.file("reddit/subreddit_new_2016.json"))
    fixture_server.route("/page", Reply.file(..., delay=1.0), query={"after": "t3_abc"})

A route's replies are served in order and the last one repeats. Unrouted paths answer 404 JSON; robots.txt
allows everything unless routed. Every request is logged in ``fixture_server.requests`` (path, query,
headers, monotonic time) so tests can count requests and measure gaps.

``run_crawl(source_id)`` runs ``python -m crawlers.run`` in a subprocess (one crawl per process: Scrapy's
reactor cannot restart) with the environment that ``bb_env`` set.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, select, text

from bounceback.db import session
from bounceback.tables import Author, CrawlRun, Mention, Source
from tests.conftest import FIXTURES, REPO
from tests.httpserve import ROBOTS_ALLOW_ALL, LocalServer, QuietHandler, serving


@dataclass
class Reply:
    """One scripted answer: status, body (bytes, a fixture path, or a callable), headers, delay."""

    status: int = 200
    body: bytes | Path | Callable[[], bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json; charset=utf-8"

    @classmethod
    def file(cls, name: str, status: int = 200, **kw: Any) -> Reply:
        """A fixture file from ../shared/fixtures, read when served."""
        path = FIXTURES / name
        assert path.exists(), f"missing fixture {path}"
        return cls(status=status, body=path, **kw)

    @classmethod
    def json(cls, value: Any, status: int = 200, **kw: Any) -> Reply:
        """A JSON body built by the test (derived from a capture, or a documented error shape)."""
        return cls(status=status, body=json.dumps(value).encode(), **kw)

    def payload(self) -> bytes:
        """The body bytes."""
        if isinstance(self.body, Path):
            return self.body.read_bytes()
        if callable(self.body):
            return self.body()
        return self.body


@dataclass
class Seen:
    """One request the server received."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float
    method: str = "GET"
    body: bytes = b""


class FixtureServer(LocalServer):
    """Serves scripted replies by (path, query subset); thread per connection."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every route and logged request."""
        with self.lock:
            self.routes: list[tuple[str, dict[str, str], list[Reply]]] = []
            self.requests: list[Seen] = []
            self.served: dict[int, int] = {}

    def route(
        self, path: str, *replies: Reply, query: dict[str, str] | None = None, method: str = "GET"
    ) -> None:
        """Answer ``path`` (and, if given, requests whose query has these values) with ``replies``."""
        with self.lock:
            self.routes.insert(0, (f"{method} {path}", dict(query or {}), list(replies)))

    def hits(self, path: str) -> list[Seen]:
        """Requests received for ``path``."""
        return [r for r in self.requests if r.path == path]

    def pick(self, method: str, path: str, query: dict[str, list[str]]) -> Reply | None:
        """The next reply for a request, or None when unrouted."""
        with self.lock:
            for index, (key, wanted, replies) in enumerate(self.routes):
                if key != f"{method} {path}":
                    continue
                if any(query.get(k, [None])[0] != v for k, v in wanted.items()):
                    continue
                count = self.served.get(index, 0)
                self.served[index] = count + 1
                return replies[min(count, len(replies) - 1)]
        return None


class _Handler(QuietHandler):
    server: FixtureServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Seen(parts.path, query, dict(self.headers.items()), time.monotonic(), method, body)
        with self.server.lock:
            self.server.requests.append(seen)
        reply = self.server.pick(method, parts.path, query)
        if reply is None:
            if parts.path == "/robots.txt":
                reply = Reply(200, ROBOTS_ALLOW_ALL, content_type="text/plain")
            else:
                reply = Reply.json({"error": "Not Found"}, status=404)
        if reply.delay:
            time.sleep(reply.delay)
        headers = {"Content-Type": reply.headers.get("Content-Type", reply.content_type)}
        headers |= {key: value for key, value in reply.headers.items() if key.lower() != "content-type"}
        self.send_bytes(reply.status, reply.payload(), headers)


@pytest.fixture(scope="session")
def _fixture_server_session() -> Iterator[FixtureServer]:
    with serving(FixtureServer()) as server:
        yield server


@pytest.fixture
def fixture_server(_fixture_server_session: FixtureServer) -> FixtureServer:
    """The shared local server with an empty route table."""
    _fixture_server_session.reset()
    return _fixture_server_session


@pytest.fixture(autouse=True)
def _fast_polite_crawls(monkeypatch: pytest.MonkeyPatch) -> None:
    """No politeness delay against the local test server (robots.txt and retries still apply)."""
    monkeypatch.setenv("BOUNCEBACK_CRAWL_DELAY_SECONDS", "0")


def add_source(engine: Engine, kind: str, **params: Any) -> int:
    """Store a source (validated params are the caller's business here); returns its id."""
    with session(engine) as sess:
        source = Source(kind=kind, name=f"{kind}-{time.monotonic_ns()}", params=params, interval_seconds=300)
        sess.add(source)
        sess.flush()
        assert source.id is not None
        return source.id


@dataclass
class CrawlResult:
    """A finished crawl subprocess: exit code, output and the summary line it printed."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def summary(self) -> dict[str, Any]:
        """The JSON summary (last stdout line)."""
        lines = self.stdout.strip().splitlines()
        assert lines, f"no summary; stderr:\n{self.stderr[-3000:]}"
        return dict(json.loads(lines[-1]))


def run_crawl(source_id: int, *args: str, timeout: float = 90) -> CrawlResult:
    """``python -m crawlers.run SOURCE_ID …`` in a subprocess, with the test's environment."""
    proc = subprocess.run(
        [sys.executable, "-m", "crawlers.run", str(source_id), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr)


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    """Rows of a read query (tests read the database as it is)."""
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def mentions_by_id(engine: Engine, source_id: int) -> dict[str, Any]:
    """The source's mentions keyed by external id (typed columns), with their author's details."""
    m, a = Mention.__table__, Author.__table__  # type: ignore[attr-defined]
    query = (
        select(
            m,
            a.c.handle.label("author_handle"),
            a.c.display_name.label("author_name"),
            a.c.followers.label("author_followers"),
            a.c.url.label("author_url"),
        )
        .select_from(m.outerjoin(a, a.c.id == m.c.author_id))
        .where(m.c.source_id == source_id)
    )
    with engine.connect() as conn:
        return {r.external_id: r for r in conn.execute(query).all()}


def crawl_run(engine: Engine, run_id: int) -> Any:
    """One CrawlRun row (typed columns)."""
    table = CrawlRun.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return conn.execute(select(table).where(table.c.id == run_id)).one()


def source_row(engine: Engine, source_id: int) -> Any:
    """One Source row (typed columns)."""
    table = Source.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return conn.execute(select(table).where(table.c.id == source_id)).one()


def run_crawls(*source_ids: int, timeout: float = 120) -> list[CrawlResult]:
    """Several crawls at once, one subprocess each (independent sources; saves wall-clock time)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, len(source_ids))) as pool:
        return list(pool.map(lambda sid: run_crawl(sid, timeout=timeout), source_ids))
