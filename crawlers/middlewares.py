"""Downloader middlewares: the private-address guard and retries that honour ``Retry-After``."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet.task import deferLater

from bounceback.errors import UnsafeURL
from bounceback.netguard import check_url

log = logging.getLogger(__name__)
SOFT_REFUSAL_SCAN = 4096  # bytes of a 2xx body searched for a spider's retry_body_marker


class RefusedURL(IgnoreRequest):
    """The URL points into a private network and private URLs are not allowed."""


class NetGuardMiddleware:
    """Refuses requests whose host resolves to a private, loopback or link-local address."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._verdicts: dict[tuple[str, str], str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Built from the BOUNCEBACK_ALLOW_PRIVATE_URLS Scrapy setting."""
        return cls(crawler.settings.getbool("BOUNCEBACK_ALLOW_PRIVATE_URLS"))

    def process_request(self, request: Request) -> None:
        """Let a safe request through; raise `RefusedURL` (an IgnoreRequest) with the reason."""
        parts = urlsplit(request.url)
        key = (parts.scheme, parts.netloc)
        if key not in self._verdicts:
            try:
                check_url(request.url, allow_private=self.allow_private)
                self._verdicts[key] = None
            except UnsafeURL as exc:
                self._verdicts[key] = str(exc).replace(repr(request.url), repr(f"{key[0]}://{key[1]}"))
        reason = self._verdicts[key]
        if reason is not None:
            raise RefusedURL(reason)


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), else None."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retry of 429/5xx, but it first waits: ``Retry-After`` if sent, else backoff * 2^n.

    Some services refuse in a 200 whose body says so (Google Play's ``PlayGatewayError``): a spider
    names that text in ``meta["retry_body_marker"]`` and such an answer is retried like a 429.
    A wait longer than BOUNCEBACK_RETRY_MAX_WAIT is not attempted: the response goes on as an error
    (recorded by the spider) so a crawl never sleeps past its time limit. 4xx other than 408/429
    are not in RETRY_HTTP_CODES and are never retried.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("BOUNCEBACK_RETRY_BACKOFF", 1.0)
        self.max_wait = settings.getfloat("BOUNCEBACK_RETRY_MAX_WAIT", 300.0)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        """Wait as the server asks, then hand back the retry request (or the response when done)."""
        soft = _soft_refusal(request, response)
        retryable = soft is not None or response.status in self.retry_http_codes
        if request.meta.get("dont_retry", False) or not retryable:
            return response
        attempt = int(request.meta.get("retry_times", 0))
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            wait = self.backoff * (2**attempt)
        if wait > self.max_wait:
            log.warning("%s asks to wait %.0fs (> %.0fs): not retrying", request.url, wait, self.max_wait)
            return response
        retry = self._retry(request, soft or response_status_message(response.status))
        if retry is None:
            return response
        retry.meta["retry_waited"] = float(request.meta.get("retry_waited", 0.0)) + wait
        if wait > 0:
            await _sleep(wait)
        return retry


def _soft_refusal(request: Request, response: Response) -> str | None:
    """The retry reason when a 2xx body carries the request's ``retry_body_marker``, else None."""
    marker = request.meta.get("retry_body_marker")
    if not isinstance(marker, str) or not marker or not 200 <= response.status < 300:
        return None
    if marker.encode() not in response.body[:SOFT_REFUSAL_SCAN]:
        return None
    return f"{marker} in an HTTP {response.status} answer"


def rate_limit_wait(headers: Any, now: float | None = None) -> float | None:
    """Seconds until the rate-limit budget resets when the response says it is spent, else None.

    Reads ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` as Reddit (seconds to go) and Mastodon
    (an ISO 8601 time) send them; an epoch timestamp is understood too.
    """
    remaining, reset = headers.get(b"X-RateLimit-Remaining"), headers.get(b"X-RateLimit-Reset")
    if remaining is None or reset is None:
        return None
    try:
        if float(remaining.decode("latin-1")) >= 1:
            return None
    except ValueError:
        return None
    text = reset.decode("latin-1").strip()
    now = time.time() if now is None else now
    try:
        value = float(text)
    except ValueError:
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return max(0.0, when.timestamp() - now)
    return max(0.0, value - now) if value > 1e9 else max(0.0, value)


class RateLimitMiddleware:
    """When a response says the rate-limit budget is spent, hold it until the budget resets.

    Paging is sequential (the next request comes from parsing this response), so holding the
    response holds the crawl of that stream; a reset further away than the retry cap is not waited
    for (the crawl goes on and the server's 429, if any, is handled by the retry middleware).
    """

    def __init__(self, max_wait: float) -> None:
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Built from BOUNCEBACK_RETRY_MAX_WAIT."""
        return cls(crawler.settings.getfloat("BOUNCEBACK_RETRY_MAX_WAIT", 300.0))

    async def process_response(self, request: Request, response: Response) -> Response:
        """Wait out a spent budget, then pass the response on."""
        wait = rate_limit_wait(response.headers)
        if wait and wait <= self.max_wait:
            log.info("rate-limit budget spent at %s: waiting %.1fs", request.url, wait)
            await _sleep(wait)
        return response


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor  # imported late: Scrapy installs its reactor first

    deferred: Any = deferLater(reactor, seconds, lambda: None)
    await maybe_deferred_to_future(deferred)
