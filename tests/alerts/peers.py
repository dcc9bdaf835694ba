"""Real local peers for the alerts tests: a scripted HTTP server and an aiosmtpd SMTP server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.httpserve import LocalServer, QuietHandler, start, stop


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int | None  # None: the server never answered (hang)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Action:
    """What the server does with one request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    hang: float = 0.0  # hold the connection this long, then close it without answering
    block: threading.Event | None = None  # record, then wait for this event before answering


class ScriptedHTTPServer:
    """A local HTTP server on a free port; ``mode`` (or a queue of actions) decides each answer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.queue: list[Action] = []
        self.default = Action()
        self.got_request = threading.Event()
        server = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with server.lock:
                    action = server.queue.pop(0) if server.queue else server.default
                    record = Received(
                        self.path, dict(self.headers.items()), body, None if action.hang else action.status
                    )
                    server.received.append(record)
                server.got_request.set()
                if action.hang:
                    time.sleep(action.hang)
                    self.close_connection = True
                    return
                if action.block is not None:
                    action.block.wait(30)
                try:
                    self.send_bytes(action.status, action.body, action.headers)
                except OSError:
                    record.status = None  # the client was gone: it never heard the answer

        self.httpd = LocalServer(Handler)
        self.port = self.httpd.port
        self.url = self.httpd.url
        self.thread = start(self.httpd, poll_interval=0.05)

    def set(self, status: int = 200, **kw: Any) -> None:
        with self.lock:
            self.default = Action(status=status, **kw)

    def then(self, *actions: Action) -> None:
        with self.lock:
            self.queue.extend(actions)

    def answered(self, status: int = 200) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.status == status]

    def delivered_keys(self) -> Counter[str]:
        """How often each dedup key reached the server in a request it answered 2xx."""
        keys: Counter[str] = Counter()
        for r in self.answered(200):
            keys.update(r.json["dedup_keys"])
        return keys

    def close(self) -> None:
        stop(self.httpd, self.thread)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SMTPPeer:
    """aiosmtpd on a free local port; keeps every message; optional login (user, password)."""

    def __init__(self, credentials: tuple[str, str] | None = None, **tls: Any) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        peer = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                peer.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                msg = message_from_bytes(envelope.original_content, policy=policy.default)
                peer.messages.append(msg)  # type: ignore[arg-type]
                return "250 OK"

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
            ok = (
                isinstance(auth_data, LoginPassword)
                and credentials is not None
                and (auth_data.login.decode(), auth_data.password.decode()) == credentials
            )
            return AuthResult(success=ok, handled=False)

        self.port = free_port()
        kwargs: dict[str, Any] = {}
        if credentials:
            kwargs = {"authenticator": authenticator, "auth_require_tls": False}
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs, **tls)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), written to ``directory``."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path
