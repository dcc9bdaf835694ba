"""Hacker News through Algolia's ``search_by_date`` (stories and comments, newest first).

Params: ``query``; optional ``tags`` (default ``(story,comment)``). Pages by time, as Algolia advises
past its 500-page cap: the next request filters ``created_at_i<`` the oldest hit of the page.
Comment and story texts are HTML with entities; they become plain text. A comment's title is the
story it belongs to, so a reader has the context.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawlers.base import SourceSpider, as_int, dig, html_text, parse_time
from crawlers.items import MentionItem

PAGE_SIZE = 100
SITE = "https://news.ycombinator.com"


class HackerNewsSpider(SourceSpider):
    """Algolia HN search by date."""

    name = "hackernews"
    default_base_url = "https://hn.algolia.com"

    def search_url(self, before: int | None = None) -> str:
        """A search_by_date URL, optionally for hits older than ``before`` (epoch seconds)."""
        return self.url(
            "/api/v1/search_by_date",
            query=self.param("query"),
            tags=self.param("tags", "(story,comment)"),
            hitsPerPage=PAGE_SIZE,
            numericFilters=f"created_at_i<{before}" if before is not None else None,
        )

    def first_requests(self) -> Iterable[Request]:
        """The newest hits."""
        yield self.request(self.search_url(), self.parse)

    def parse(self, response: Response) -> Iterator[Any]:
        """One page of hits, then the page of hits older than its oldest."""
        data = self.json(response)
        if data is None:
            return
        hits = dig(data, "hits")
        times = [t for t in (as_int(dig(h, "created_at_i")) for h in hits or []) if t is not None]
        more = (as_int(dig(data, "page")) or 0) + 1 < (as_int(dig(data, "nbPages")) or 0)
        next_request = self.request(self.search_url(min(times)), self.parse) if times and more else None
        yield from self.page(response, hits if isinstance(hits, list) else None, self.to_item, next_request)

    def to_item(self, hit: dict[str, Any]) -> MentionItem | None:
        """A story or comment hit."""
        object_id = str(hit["objectID"])
        tags = hit.get("_tags") or []
        is_comment = "comment" in tags or hit.get("comment_text") is not None
        author = hit.get("author") or None
        if is_comment:
            title, text = hit.get("story_title"), html_text(hit.get("comment_text"))
        else:
            title, text = hit.get("title"), html_text(hit.get("story_text"))
        return MentionItem(
            source_id=self.source_id,
            external_id=object_id,
            url=f"{SITE}/item?id={object_id}",
            title=title,
            text=text,
            author_handle=author,
            author_url=f"{SITE}/user?id={author}" if author else None,
            published_at=parse_time(hit.get("created_at_i")) or parse_time(hit.get("created_at")),
            likes=as_int(hit.get("points")),
            replies=as_int(hit.get("num_comments")),
            score=as_int(hit.get("points")),
            raw_ref=self.ref(f"/hits/objectID={object_id}"),
            extra={
                "kind": "comment" if is_comment else "story",
                "story_id": hit.get("story_id"),
                "link": hit.get("url") or hit.get("story_url"),
            },
        )
