"""Generic JSON webhook: POST the alert as JSON, signed with HMAC-SHA256 of the body.

Headers: ``X-Bounceback-Signature: sha256=<hex of HMAC-SHA256(webhook_secret, body)>`` (absent when no
secret is configured), ``X-Bounceback-Event`` (alert kind) and ``X-Bounceback-Delivery`` (the leading
alert's dedup key: the same on a retry, so receivers can drop duplicates). Scraped text is carried as
JSON strings, which are inert by construction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from alerts.message import Notice, headline, plain_text
from alerts.notifiers import http
from alerts.notifiers.base import Notifier, guard_url, require, timeout_from
from alerts.redact import redact_url
from bounceback.errors import InvalidInput
from bounceback.netguard import check_url
from bounceback.settings import Settings

SIGNATURE_HEADER = "X-Bounceback-Signature"


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: what a receiver recomputes to verify a delivery."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def document(notice: Notice) -> dict[str, Any]:
    """The JSON body: summary, count, every dedup key and the items' payloads."""
    return {
        "event": notice.kind,
        "title": headline(notice),
        "text": plain_text(notice),
        "severity": notice.severity,
        "count": notice.count,
        "group_key": notice.group_key,
        "dedup_keys": notice.dedup_keys,
        "items": notice.items,
    }


class WebhookNotifier(Notifier):
    """POSTs signed JSON to any URL."""

    kind = "webhook"

    @classmethod
    def validate(cls, config: dict[str, Any], settings: Settings) -> dict[str, Any]:
        """Needs ``url`` (http/https, public unless private URLs are allowed); optional ``timeout``."""
        url = require(config, "url", cls.kind)
        check_url(url, allow_private=settings.allow_private_urls)
        if config.get("timeout") is not None:
            timeout_from(config)
        unknown = set(config) - {"url", "timeout"}
        if unknown:
            raise InvalidInput(f"unknown webhook settings: {', '.join(sorted(unknown))}")
        return {**config, "url": url}

    def __init__(self, config: dict[str, Any], settings: Settings) -> None:
        super().__init__(config, settings)
        self._http: httpx.Client | None = None

    def target(self) -> str:
        """The URL with its path redacted."""
        return redact_url(self.config["url"])

    def secrets(self) -> list[str]:
        """The URL (it may embed a token) and the signing secret."""
        return [self.config["url"], self.settings.webhook_secret.get_secret_value()]

    def _send(self, notice: Notice) -> None:
        url = guard_url(self.config["url"], self.settings)
        body = json.dumps(document(notice), ensure_ascii=False, default=str).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Bounceback-Event": notice.kind,
            "X-Bounceback-Delivery": notice.idempotency_key,
        }
        secret = self.settings.webhook_secret.get_secret_value()
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, body)
        if self._http is None:
            self._http = http.client(timeout_from(self.config))
        http.post(self._http, url, what=f"webhook {self.target()}", content=body, headers=headers)

    def close(self) -> None:
        """Close the pass's connection pool."""
        if self._http is not None:
            self._http.close()
            self._http = None
