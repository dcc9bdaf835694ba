"""Email over SMTP (smtplib): STARTTLS, implicit TLS (``ssl``) or plain (local relays), with login.

The password is `Settings.smtp_password`. Failures are sorted by SMTP reply code: 5xx (535 login
refused, 550 no such mailbox …) and malformed addresses are permanent; 4xx, timeouts and lost
connections are retried.
"""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from typing import Any

from alerts.errors import DeliveryError
from alerts.message import Notice
from alerts.notifiers.base import Notifier, require, timeout_from
from alerts.render.email import build_message
from bounceback.errors import InvalidInput
from bounceback.settings import Settings

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
KNOWN_KEYS = {"host", "port", "security", "username", "sender", "to", "timeout", "ca_file"}


def check_address(address: str) -> str:
    """``address`` if it is one well-formed mailbox (no display name, no CR/LF), else `InvalidInput`."""
    if any(c in address for c in "\r\n,;<>") or address.count("@") != 1:
        raise InvalidInput(f"invalid email address {address!r}")
    try:
        parsed = Address(addr_spec=address.strip())
    except (ValueError, IndexError) as exc:
        raise InvalidInput(f"invalid email address {address!r}: {exc}") from None
    if not parsed.username or not parsed.domain or "." not in parsed.domain.strip("."):
        raise InvalidInput(f"invalid email address {address!r}")
    return parsed.addr_spec


class EmailNotifier(Notifier):
    """Sends a multipart (plain + HTML) message to the configured recipients."""

    kind = "email"

    @classmethod
    def validate(cls, config: dict[str, Any], settings: Settings) -> dict[str, Any]:
        """Needs ``host``, ``sender``, ``to`` (list); optional ``security``, ``port``, ``username``."""
        unknown = set(config) - KNOWN_KEYS
        if unknown:
            raise InvalidInput(f"unknown email settings: {', '.join(sorted(unknown))}")
        host = require(config, "host", cls.kind)
        security = str(config.get("security") or "starttls")
        if security not in SECURITY:
            raise InvalidInput(f"security must be one of {', '.join(SECURITY)}")
        try:
            port = int(config.get("port") or DEFAULT_PORTS[security])
        except (TypeError, ValueError):
            raise InvalidInput("port must be a number") from None
        to = config.get("to") or []
        if isinstance(to, str):
            to = [to]
        if not to:
            raise InvalidInput("an email channel needs at least one recipient (--to)")
        normalised = {
            **config,
            "host": host,
            "port": port,
            "security": security,
            "sender": check_address(require(config, "sender", cls.kind)),
            "to": [check_address(str(a)) for a in to],
        }
        if config.get("timeout") is not None:
            timeout_from(config)
        return normalised

    def target(self) -> str:
        """``email to a@x, b@y via host:port``."""
        return f"email to {', '.join(self.config['to'])} via {self.config['host']}:{self.config['port']}"

    def secrets(self) -> list[str]:
        """The SMTP password."""
        return [self.settings.smtp_password.get_secret_value()]

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.get("ca_file") or None)

    def _connect(self) -> smtplib.SMTP:
        host, port, timeout = self.config["host"], self.config["port"], timeout_from(self.config)
        if self.config["security"] == "ssl":
            return smtplib.SMTP_SSL(host, port, timeout=timeout, context=self._tls())
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if self.config["security"] == "starttls":
            smtp.starttls(context=self._tls())
        return smtp

    def _send(self, notice: Notice) -> None:
        what = self.target()
        message = build_message(notice, self.config["sender"], self.config["to"])
        try:
            with self._connect() as smtp:
                if self.config.get("username"):
                    smtp.login(self.config["username"], self.settings.smtp_password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"{what}: login refused ({exc.smtp_code})", permanent=True) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {addr: code for addr, (code, _msg) in exc.recipients.items()}
            permanent = all(code >= 500 for code in codes.values())
            refused = ", ".join(f"{addr} ({code})" for addr, code in codes.items())
            raise DeliveryError(f"{what}: recipients refused: {refused}", permanent=permanent) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"{what}: server does not support {exc}", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            detail = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else exc.smtp_error
            )
            text = f"{what}: SMTP {exc.smtp_code} {' '.join(str(detail).split())[:160]}"
            raise DeliveryError(text, permanent=exc.smtp_code >= 500) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"{what}: TLS certificate refused ({exc.verify_message})", permanent=True
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{what}: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}") from None
