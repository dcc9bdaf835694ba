"""HTTP plumbing shared by the Slack webhook and generic webhook notifiers (httpx, no redirects)."""

from __future__ import annotations

import logging

import httpx

from alerts.errors import DeliveryError
from alerts.notifiers.base import parse_retry_after

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "bounceback-alerts/0.1"

# httpx logs every request's full URL at INFO (and httpcore more at DEBUG): webhook URLs carry tokens.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def client(timeout: float) -> httpx.Client:
    """A client for one delivery pass: keep-alive, a hard timeout, redirects not followed."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
    )


def post(
    http: httpx.Client, url: str, *, what: str, content: bytes, headers: dict[str, str]
) -> httpx.Response:
    """POST and return a 2xx response, or raise `DeliveryError` saying if retrying can help.

    The error message names ``what`` (a redacted target), never ``url``.
    """
    try:
        response = http.post(url, content=content, headers=headers)
    except httpx.TimeoutException:
        raise DeliveryError(f"{what}: no answer within {http.timeout.read}s (timeout)") from None
    except httpx.TransportError as exc:
        raise DeliveryError(f"{what}: connection failed ({type(exc).__name__})") from None
    if response.is_success:
        return response
    raise status_error(what, response.status_code, response.text[:200], response.headers.get("Retry-After"))


def status_error(what: str, status: int, body: str, retry_after: str | None) -> DeliveryError:
    """The `DeliveryError` for an HTTP error status: 429/5xx retry, other 4xx and 3xx are permanent."""
    detail = " ".join(body.split())[:160]
    text = f"{what}: HTTP {status}" + (f" {detail}" if detail else "")
    if status in RETRYABLE_STATUS:
        return DeliveryError(text, permanent=False, retry_after=parse_retry_after(retry_after))
    if 300 <= status < 400:
        return DeliveryError(text + " (redirects are not followed; fix the URL)", permanent=True)
    return DeliveryError(text, permanent=True)
