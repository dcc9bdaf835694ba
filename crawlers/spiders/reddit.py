"""Reddit: site search (``/search.json?q=…&sort=new``) or a subreddit's ``/r/X/new.json`` listing.

Params: ``query`` and/or ``subreddit`` (both: search restricted to the subreddit). Listings page by
the ``after`` cursor. Posts (``t3``) and comments (``t1``) both map to a mention; ``[deleted]``
authors have no handle and ``[removed]`` bodies are kept as they are (a later crawl logs the edit).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawlers.base import SourceSpider, as_int, dig, parse_time
from crawlers.items import MentionItem

PAGE_SIZE = 100
GONE_AUTHORS = {"[deleted]", "[removed]", ""}


class RedditSpider(SourceSpider):
    """Reddit search or subreddit listing (public JSON)."""

    name = "reddit"
    default_base_url = "https://www.reddit.com"
    site = "https://www.reddit.com"

    def listing_url(self, after: str | None = None) -> str:
        """The listing URL of the source's query or subreddit, at the ``after`` cursor."""
        query, sub = self.param("query"), self.param("subreddit").removeprefix("r/").strip("/")
        common = {"limit": PAGE_SIZE, "raw_json": 1, "after": after}
        if query and sub:
            return self.url(f"/r/{sub}/search.json", q=query, restrict_sr="on", sort="new", **common)
        if query:
            return self.url("/search.json", q=query, sort="new", **common)
        return self.url(f"/r/{sub}/new.json", **common)

    def first_requests(self) -> Iterable[Request]:
        """The first listing page."""
        yield self.request(self.listing_url(), self.parse)

    def parse(self, response: Response) -> Iterator[Any]:
        """One listing page: its posts, then the next page by ``after``."""
        data = self.json(response)
        if data is None:
            return
        children = dig(data, "data", "children")
        after = dig(data, "data", "after")
        next_request = self.request(self.listing_url(after), self.parse) if after else None
        yield from self.page(response, children, self.to_item, next_request)

    def to_item(self, child: dict[str, Any]) -> MentionItem | None:
        """A ``t3`` post or ``t1`` comment; other kinds are skipped."""
        kind, post = child["kind"], child["data"]
        if kind not in ("t3", "t1"):
            return None
        author = str(post.get("author") or "")
        handle = None if author in GONE_AUTHORS else author
        permalink = post.get("permalink") or ""
        is_comment = kind == "t1"
        return MentionItem(
            source_id=self.source_id,
            external_id=str(post.get("name") or f"{kind}_{post['id']}"),
            url=(self.site + permalink) if permalink.startswith("/") else post.get("url"),
            title=post.get("link_title") if is_comment else post.get("title"),
            text=str(post.get("body") if is_comment else post.get("selftext") or ""),
            author_handle=handle,
            author_url=f"{self.site}/user/{handle}" if handle else None,
            published_at=parse_time(post.get("created_utc")),
            likes=as_int(post.get("ups")),
            replies=as_int(post.get("num_comments")) if not is_comment else None,
            reposts=as_int(post.get("num_crossposts")),
            score=as_int(post.get("score")),
            raw_ref=self.ref(f"/data/children/{post.get('name') or post['id']}"),
            extra={"subreddit": post.get("subreddit"), "over_18": bool(post.get("over_18"))},
        )
