"""Scrapy settings for every crawl, built from bounceback's one validated `Settings`.

Politeness is not optional: robots.txt is obeyed, AutoThrottle adapts to the server, one request at a
time per host, an honest User-Agent that carries the operator's contact, 429/5xx retried after the
server's ``Retry-After`` (else exponential backoff), a spent ``X-RateLimit`` budget waited out,
4xx never retried, responses capped in size, and URLs that resolve to private or loopback addresses
refused unless ``allow_private_urls`` is set.
"""

from __future__ import annotations

from typing import Any

from bounceback.settings import Settings, get_settings

RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_TIMES = 3
RETRY_MAX_WAIT_SECONDS = 300.0  # a Retry-After longer than this ends the crawl of that page instead
DOWNLOAD_TIMEOUT_SECONDS = 30


def user_agent(settings: Settings) -> str:
    """The User-Agent: the configured product token plus the operator's contact, if set."""
    agent = settings.user_agent.strip()
    contact = settings.contact.strip()
    if not contact:
        return agent
    if agent.endswith(")"):
        return f"{agent[:-1]}; {contact})"
    return f"{agent} ({contact})"


def scrapy_settings(settings: Settings | None = None, *, timeout: float | None = None) -> dict[str, Any]:
    """The Scrapy settings dict for one crawl process (``timeout`` closes the spider gracefully)."""
    s = settings or get_settings()
    delay = float(s.crawl_delay_seconds)
    values: dict[str, Any] = {
        "BOT_NAME": "bounceback",
        "USER_AGENT": user_agent(s),
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # Scrapy ≥2.19 would otherwise open a code-executing HTTP port
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": delay * 2,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT_SECONDS,
        "DOWNLOAD_MAXSIZE": s.crawl_max_response_bytes,
        "DOWNLOAD_WARNSIZE": max(s.crawl_max_response_bytes // 2, 1024),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": RETRY_TIMES,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "BOUNCEBACK_RETRY_BACKOFF": max(delay, 0.1),
        "BOUNCEBACK_RETRY_MAX_WAIT": RETRY_MAX_WAIT_SECONDS,
        "BOUNCEBACK_ALLOW_PRIVATE_URLS": s.allow_private_urls,
        "BOUNCEBACK_MAX_PAGES": s.crawl_max_pages,
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.NetGuardMiddleware": 50,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawlers.middlewares.PoliteRetryMiddleware": 550,
            "crawlers.middlewares.RateLimitMiddleware": 540,  # sees only what retries pass on
        },
        "ITEM_PIPELINES": {"crawlers.pipelines.MentionPipeline": 300},
        "LOG_LEVEL": "DEBUG" if s.log_level == "DEBUG" else "WARNING",
        "LOG_FORMAT": "%(asctime)s %(levelname)s %(name)s: %(message)s",
    }
    if timeout:
        values["CLOSESPIDER_TIMEOUT"] = float(timeout)
    return values
