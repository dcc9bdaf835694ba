"""Mastodon: an instance's hashtag timeline (``/api/v1/timelines/tag/T``) or search (``/api/v2/search``).

Params: ``instance`` (host name), and ``tag`` and/or ``query``. Tag timelines page by the ``Link``
header (``rel="next"``); the next URL is always re-based onto the instance, so a crafted header cannot
send the crawler elsewhere. Search pages by ``offset``. Boosts are skipped (the boosted status has
its own id and date). Content is HTML and becomes plain text; a content warning (``spoiler_text``)
becomes the title. Handles are ``user@instance`` so they are unique across the fediverse.

Some instances want an access token for ``/api/v2/search``: ``BOUNCEBACK_MASTODON_ACCESS_TOKEN`` is
sent as ``Authorization: Bearer`` only on requests to ``BOUNCEBACK_MASTODON_TOKEN_INSTANCE`` (same
host and port; Scrapy drops the header on a redirect to another host) and is never logged or stored.
A 401 is recorded as a permanent ``auth`` error saying whether a token was missing or refused: the
crawl fails (retrying cannot help until the configuration changes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from bounceback.settings import get_settings
from crawlers.base import SourceSpider, as_int, dig, html_text, parse_time
from crawlers.items import MentionItem

PAGE_SIZE = 40
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";,]+)"?')
DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(where: str) -> str:
    """``host:port`` of a URL or of a bare ``host[:port]`` (taken as https), lower-cased."""
    parts = urlsplit(where if "//" in where else f"https://{where}")
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return ""
    return f"{(parts.hostname or '').lower()}:{port}"


def next_link(header: bytes | str | None) -> str | None:
    """The ``rel="next"`` target of a Link header, or None."""
    if not header:
        return None
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    for target, rel in _LINK.findall(text):
        if "next" in rel.split():
            return str(target)
    return None


class MastodonSpider(SourceSpider):
    """Hashtag timeline and status search of one Mastodon instance."""

    name = "mastodon"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self._token = settings.mastodon_access_token.get_secret_value()
        self._token_host = host_key(settings.mastodon_token_instance) if self._token else ""

    def request(self, url: str, callback: Callable[..., Any], **kwargs: Any) -> Request:
        """A request that lets a 401 reach the callback and carries the token to its own instance only."""
        headers = dict(kwargs.pop("headers", None) or {})
        if self._token and host_key(url) == self._token_host:
            headers["Authorization"] = f"Bearer {self._token}"
        meta = {**(kwargs.pop("meta", None) or {}), "handle_httpstatus_list": [401]}
        return super().request(url, callback, headers=headers, meta=meta, **kwargs)

    def unauthorized(self, response: Response) -> None:
        """Record a 401 as a permanent ``auth`` error that says what to change."""
        sent = b"Authorization" in response.request.headers if response.request else False
        body = response.body[:200].decode("utf-8", "replace").strip()
        if self._token:
            body = body.replace(self._token, "[token]")  # a server echoing it must not get it stored
        if sent:
            hint = "the instance refused the access token (invalid, expired or revoked): renew "
            hint += "BOUNCEBACK_MASTODON_ACCESS_TOKEN"
        else:
            hint = "the instance wants an access token: set BOUNCEBACK_MASTODON_ACCESS_TOKEN and "
            hint += f"BOUNCEBACK_MASTODON_TOKEN_INSTANCE={urlsplit(response.url).netloc}"
        self.report.error("auth", f"HTTP 401: {body} ({hint})", response.url, permanent=True)
        self.logger.warning("HTTP 401 at %s: %s", response.url, hint)

    @property
    def instance(self) -> str:
        """The instance host name (``https://`` and slashes stripped)."""
        raw = self.param("instance")
        return (urlsplit(raw).netloc if "//" in raw else raw).strip("/").lower()

    def default_base(self) -> str:
        """``https://<instance>``."""
        return f"https://{self.instance}"

    def first_requests(self) -> Iterable[Request]:
        """The tag timeline and/or the status search."""
        tag = self.param("tag").lstrip("#")
        if tag:
            url = self.url(f"/api/v1/timelines/tag/{tag}", limit=PAGE_SIZE)
            yield self.request(url, self.parse_timeline, cb_kwargs={"stream": f"tag:{tag}"})
        if self.param("query"):
            yield self.request(self.search_url(0), self.parse_search, cb_kwargs={"offset": 0})

    def search_url(self, offset: int) -> str:
        """A v2 status search page."""
        return self.url(
            "/api/v2/search", q=self.param("query"), type="statuses", limit=PAGE_SIZE, offset=offset or None
        )

    def parse_timeline(self, response: Response, stream: str) -> Iterator[Any]:
        """One timeline page (a JSON array), then the ``Link`` next page."""
        if response.status == 401:
            self.unauthorized(response)
            return
        data = self.json(response)
        if data is None:
            return
        target = next_link(response.headers.get(b"Link"))
        next_request = None
        if target:
            parts = urlsplit(target)
            rebased = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
            next_request = self.request(rebased, self.parse_timeline, cb_kwargs={"stream": stream})
        records = data if isinstance(data, list) else None
        yield from self.page(response, records, self.to_item, next_request, stream=stream)

    def parse_search(self, response: Response, offset: int) -> Iterator[Any]:
        """One search page (``statuses`` of a v2 result), then the next offset while pages are full."""
        if response.status == 401:
            self.unauthorized(response)
            return
        data = self.json(response)
        if data is None:
            return
        statuses = dig(data, "statuses")
        next_request = None
        if isinstance(statuses, list) and len(statuses) >= PAGE_SIZE:
            after = offset + len(statuses)
            next_request = self.request(
                self.search_url(after), self.parse_search, cb_kwargs={"offset": after}
            )
        yield from self.page(response, statuses, self.to_item, next_request, stream="search")

    def to_item(self, status: dict[str, Any]) -> MentionItem | None:
        """A status; a boost is skipped."""
        if status.get("reblog"):
            return None
        account = status["account"]
        acct = str(account["acct"])
        handle = acct if "@" in acct else f"{acct}@{self.instance}"
        text = html_text(status.get("content"))
        poll = dig(status, "poll", "options")
        if isinstance(poll, list) and poll:
            text += "\n" + "\n".join(f"- {o.get('title', '')}" for o in poll if isinstance(o, dict))
        return MentionItem(
            source_id=self.source_id,
            external_id=str(status["id"]),
            url=status.get("url") or status.get("uri"),
            title=status.get("spoiler_text") or None,
            text=text.strip(),
            author_handle=handle,
            author_name=account.get("display_name") or None,
            author_followers=as_int(account.get("followers_count")),
            author_url=account.get("url"),
            language=status.get("language"),
            published_at=parse_time(status.get("created_at")),
            likes=as_int(status.get("favourites_count")),
            replies=as_int(status.get("replies_count")),
            reposts=as_int(status.get("reblogs_count")),
            raw_ref=self.ref(f"/id={status['id']}"),
        )
