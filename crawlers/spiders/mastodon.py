"""Mastodon: an instance's hashtag timeline (``/api/v1/timelines/tag/T``) or search (``/api/v2/search``).

Params: ``instance`` (host name), and ``tag`` and/or ``query``. Tag timelines page by the ``Link``
header (``rel="next"``); the next URL is always re-based onto the instance, so a crafted header cannot
send the crawler elsewhere. Search pages by ``offset``. Boosts are skipped (the boosted status has
its own id and date). Content is HTML and becomes plain text; a content warning (``spoiler_text``)
becomes the title. Handles are ``user@instance`` so they are unique across the fediverse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from crawlers.base import SourceSpider, as_int, dig, html_text, parse_time
from crawlers.items import MentionItem

PAGE_SIZE = 40
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";,]+)"?')


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
