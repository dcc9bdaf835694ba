"""Further channels through Apprise: one Apprise URL per channel (``url``).

Covers what Apprise supports, e.g. Microsoft Teams (``msteams://``), Discord (``discord://``),
Telegram (``tgram://``), Mattermost (``mmost://``), Rocket.Chat, Matrix, ntfy, Pushover, PagerDuty,
Opsgenie, SMS gateways, and plain ``json://``/``form://`` HTTP endpoints. The message goes as plain
text (`alerts.message.plain_text`); Apprise does not tell a permanent failure from a passing one, so
every failure is retried until the attempts run out. ``json``/``form``/``xml`` URLs (which name an
arbitrary host) are checked against private addresses; other schemes talk to their vendor's API.
The URL usually embeds a token: it is redacted in listings and errors.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import apprise as apprise_lib

from alerts.errors import DeliveryError
from alerts.message import Notice, headline, plain_text, severity_rank
from alerts.notifiers.base import Notifier, guard_url, require, timeout_from
from alerts.redact import redact_url
from bounceback.errors import InvalidInput
from bounceback.netguard import check_url
from bounceback.settings import Settings

ARBITRARY_HOST_SCHEMES = {
    "json": "http",
    "jsons": "https",
    "form": "http",
    "forms": "https",
    "xml": "http",
    "xmls": "https",
}


def _http_equivalent(url: str) -> str | None:
    parts = urlsplit(url)
    scheme = ARBITRARY_HOST_SCHEMES.get(parts.scheme.lower())
    return f"{scheme}://{parts.netloc}{parts.path}" if scheme else None


class AppriseNotifier(Notifier):
    """Sends through one Apprise URL."""

    kind = "apprise"

    @classmethod
    def validate(cls, config: dict[str, Any], settings: Settings) -> dict[str, Any]:
        """Needs ``url``, an Apprise URL Apprise recognises."""
        url = require(config, "url", cls.kind)
        unknown = set(config) - {"url", "timeout"}
        if unknown:
            raise InvalidInput(f"unknown apprise settings: {', '.join(sorted(unknown))}")
        if apprise_lib.Apprise.instantiate(url) is None:
            raise InvalidInput(f"Apprise does not recognise the URL {redact_url(url)}")
        http_url = _http_equivalent(url)
        if http_url:
            check_url(http_url, allow_private=settings.allow_private_urls)
        if config.get("timeout") is not None:
            timeout_from(config)
        return {**config, "url": url}

    def target(self) -> str:
        """The Apprise URL, redacted."""
        return f"apprise {redact_url(self.config['url'])}"

    def secrets(self) -> list[str]:
        """The Apprise URL (tokens live in it)."""
        return [self.config["url"]]

    def _send(self, notice: Notice) -> None:
        http_url = _http_equivalent(self.config["url"])
        if http_url:
            guard_url(http_url, self.settings)
        client = apprise_lib.Apprise()
        if not client.add(self.config["url"]):
            raise DeliveryError(f"{self.target()}: Apprise refused the URL", permanent=True)
        notify_type = (
            apprise_lib.NotifyType.FAILURE
            if severity_rank(notice.severity) >= 3
            else apprise_lib.NotifyType.WARNING
        )
        with apprise_lib.LogCapture(level=logging.WARNING) as captured:
            ok = client.notify(
                body=plain_text(notice),
                title=headline(notice),
                notify_type=notify_type,
                body_format=apprise_lib.NotifyFormat.TEXT,
                timeout=timeout_from(self.config),
            )
            detail = " ".join(captured.getvalue().split())[-200:]
        if not ok:
            raise DeliveryError(f"{self.target()}: not delivered" + (f": {detail}" if detail else ""))
