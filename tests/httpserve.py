"""Real local HTTP servers for tests: one on 127.0.0.1 (a free port) served from a thread, and replies.

    class _Handler(QuietHandler):
        def do_GET(self) -> None:
            self.send_json({"ok": True})

    with serving(LocalServer(_Handler)) as server:
        urllib.request.urlopen(server.url)

``serving`` always stops the server (and its thread) when the block ends, whatever happened in it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer
from typing import Any, TypeVar

ROBOTS_ALLOW_ALL = b"User-agent: *\nAllow: /\n"
JSON_TYPE = "application/json"

S = TypeVar("S", bound=BaseServer)


class LocalServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer on 127.0.0.1 and a free port (``port``, ``url``); daemon thread per request."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.port = int(self.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"


def start(server: BaseServer, poll_interval: float = 0.5) -> threading.Thread:
    """Run ``server.serve_forever`` in a daemon thread; returns the thread (for `stop`)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
    )
    thread.start()
    return thread


def stop(server: BaseServer, thread: threading.Thread) -> None:
    """Stop serving, close the socket and wait (5 s at most) for the serving thread."""
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@contextmanager
def serving(server: S, poll_interval: float = 0.5) -> Iterator[S]:
    """``server`` served from a thread for the block; stopped and closed afterwards, even on errors."""
    thread = start(server, poll_interval)
    try:
        yield server
    finally:
        stop(server, thread)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing, with one-call replies."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_bytes(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        """Answer ``status`` with ``headers`` (in order), Content-Length and ``body``."""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> None:
        """Answer ``value`` as JSON (Content-Type application/json unless ``headers`` say otherwise)."""
        self.send_bytes(status, json.dumps(value).encode(), {"Content-Type": JSON_TYPE, **(headers or {})})
