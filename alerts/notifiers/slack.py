"""Slack: an incoming webhook (``webhook_url``) or a bot token with ``chat.postMessage`` (``channel``).

The bot token is `Settings.slack_bot_token` (a secret, never stored in the channel's config); the bot
mode uses slack-sdk's `WebClient` (``base_url`` may point elsewhere, e.g. a local test server). Text is
escaped by `alerts.render.slack`, so scraped ``<!channel>`` or ``<@U123>`` cannot ping anyone.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts.errors import DeliveryError
from alerts.message import Notice
from alerts.notifiers import http
from alerts.notifiers.base import Notifier, guard_url, parse_retry_after, timeout_from
from alerts.redact import redact_url
from alerts.render.slack import render
from bounceback.errors import InvalidInput
from bounceback.netguard import check_url
from bounceback.settings import Settings

# chat.postMessage errors worth retrying; every other error needs a person (bad token, no channel …)
TRANSIENT_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
KNOWN_KEYS = {"webhook_url", "channel", "base_url", "timeout"}


class SlackNotifier(Notifier):
    """Posts Block Kit messages to Slack."""

    kind = "slack"

    @classmethod
    def validate(cls, config: dict[str, Any], settings: Settings) -> dict[str, Any]:
        """Either ``webhook_url`` or ``channel`` (+ BOUNCEBACK_SLACK_BOT_TOKEN); optional ``base_url``."""
        unknown = set(config) - KNOWN_KEYS
        if unknown:
            raise InvalidInput(f"unknown slack settings: {', '.join(sorted(unknown))}")
        hook, channel = config.get("webhook_url"), config.get("channel")
        if bool(hook) == bool(channel):
            raise InvalidInput(
                "a slack channel needs either --url (incoming webhook) or --slack-channel (bot)"
            )
        if hook:
            check_url(str(hook), allow_private=settings.allow_private_urls)
        if channel and not settings.slack_bot_token.get_secret_value():
            raise InvalidInput("posting with chat.postMessage needs BOUNCEBACK_SLACK_BOT_TOKEN")
        if config.get("base_url"):
            base = str(config["base_url"])
            host = urlsplit(base).hostname or ""
            is_slack = base.startswith("https://") and (host == "slack.com" or host.endswith(".slack.com"))
            if not (settings.allow_private_urls or is_slack):
                # the bot token travels to base_url: only Slack may receive it (tests allow a local one)
                raise InvalidInput("base_url must be an https://…slack.com URL")
            check_url(base, allow_private=settings.allow_private_urls)
        if config.get("timeout") is not None:
            timeout_from(config)
        return dict(config)

    def __init__(self, config: dict[str, Any], settings: Settings) -> None:
        super().__init__(config, settings)
        self._http: httpx.Client | None = None

    def target(self) -> str:
        """``slack webhook https://hooks.slack.com/***`` or ``slack #channel``."""
        if self.config.get("webhook_url"):
            return f"slack webhook {redact_url(self.config['webhook_url'])}"
        return f"slack {self.config['channel']}"

    def secrets(self) -> list[str]:
        """The webhook URL and the bot token."""
        return [str(self.config.get("webhook_url") or ""), self.settings.slack_bot_token.get_secret_value()]

    def _send(self, notice: Notice) -> None:
        message = render(notice)
        if self.config.get("webhook_url"):
            self._send_webhook(message)
        else:
            self._send_bot(message)

    def _send_webhook(self, message: dict[str, Any]) -> None:
        url = guard_url(self.config["webhook_url"], self.settings)
        if self._http is None:
            self._http = http.client(timeout_from(self.config))
        body = json.dumps(message).encode()
        http.post(
            self._http, url, what=self.target(), content=body, headers={"Content-Type": "application/json"}
        )

    def _send_bot(self, message: dict[str, Any]) -> None:
        base_url = self.config.get("base_url") or WebClient.BASE_URL
        guard_url(base_url, self.settings)
        client = WebClient(
            token=self.settings.slack_bot_token.get_secret_value(),
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            timeout=int(max(1, round(timeout_from(self.config)))),
            retry_handlers=[],  # the outbox retries, with backoff and Retry-After
        )
        try:
            client.chat_postMessage(channel=self.config["channel"], **message)
        except SlackApiError as exc:
            raise _api_error(self.target(), exc) from None
        except OSError as exc:  # URLError, timeouts, refused connections
            raise DeliveryError(f"{self.target()}: connection failed ({type(exc).__name__})") from None


def _api_error(what: str, exc: SlackApiError) -> DeliveryError:
    response = exc.response
    error = str(response.get("error") or "") if isinstance(response.data, dict) else ""
    headers = {k.lower(): v for k, v in (response.headers or {}).items()}
    retry_after = headers.get("retry-after")
    if isinstance(retry_after, list):
        retry_after = retry_after[0] if retry_after else None
    status = int(response.status_code)
    text = f"{what}: chat.postMessage failed: HTTP {status} {error}".rstrip()
    if status == 429 or status >= 500 or error in TRANSIENT_API_ERRORS:
        return DeliveryError(text, permanent=False, retry_after=parse_retry_after(retry_after))
    return DeliveryError(text, permanent=True)
