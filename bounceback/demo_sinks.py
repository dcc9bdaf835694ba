"""The demo's local alert receivers: an SMTP sink (aiosmtpd) and a webhook endpoint.

Whatever they receive is written to the demo inbox directory (``email-N.eml``, ``webhook-N.json``)
and announced on the console in one line, so a person watching `bounceback demo` sees each alert
arrive. Both listen on 127.0.0.1 only.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bounceback.errors import BouncebackError

Announce = Callable[[str], None]
MAX_BODY = 1024 * 1024


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """Numbered files in one directory, written by several threads."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(len(list(directory.iterdir())) + 1)
        self._lock = threading.Lock()

    def save(self, prefix: str, suffix: str, data: bytes) -> Path:
        """Write ``data`` as the next ``prefix-N.suffix``."""
        with self._lock:
            path = self.directory / f"{prefix}-{next(self._counter):04d}.{suffix}"
        path.write_bytes(data)
        return path


class SmtpSink:
    """An aiosmtpd server that keeps every message in the inbox."""

    def __init__(self, inbox: Inbox, announce: Announce) -> None:
        try:
            from aiosmtpd.controller import Controller
        except ImportError as exc:  # a dev extra; `make demo` installs it
            raise BouncebackError("the demo's SMTP sink needs aiosmtpd (pip install aiosmtpd)") from exc
        self.port = free_port()
        self.inbox = inbox
        self.announce = announce
        self.received = 0
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Store the message and announce it."""
        raw = bytes(envelope.content)
        path = self.inbox.save("email", "eml", raw)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.received += 1
        self.announce(f"email to {', '.join(envelope.rcpt_tos)}: {message.get('Subject', '')}  [{path.name}]")
        return "250 OK"

    def start(self) -> SmtpSink:
        """Listen in a background thread."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()


class _WebhookHandler(BaseHTTPRequestHandler):
    server: WebhookSink

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sink announces what matters."""

    def do_POST(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
        body = self.rfile.read(length)
        path = self.server.inbox.save("webhook", "json", body)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        signed = "signed" if any(h.lower().endswith("signature") for h in self.headers) else "unsigned"
        self.server.received += 1
        self.server.announce(f"webhook ({signed}): {_summary(data)}  [{path.name}]")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def _summary(data: Any) -> str:
    if not isinstance(data, dict):
        return "(not JSON)"
    parts = [str(data[k]) for k in ("kind", "severity", "title", "source") if data.get(k)]
    text = data.get("text") or data.get("excerpt") or data.get("message") or ""
    if isinstance(text, str) and text:
        parts.append(repr(text[:100]))
    return " | ".join(parts) or ", ".join(sorted(data))[:120]


class WebhookSink(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 that accepts JSON POSTs into the inbox."""

    daemon_threads = True

    def __init__(self, inbox: Inbox, announce: Announce) -> None:
        super().__init__(("127.0.0.1", 0), _WebhookHandler)
        self.inbox = inbox
        self.announce = announce
        self.received = 0
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hooks/bounceback"
        self._thread: threading.Thread | None = None

    def start(self) -> WebhookSink:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="demo-webhook", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.shutdown()
        self.server_close()
