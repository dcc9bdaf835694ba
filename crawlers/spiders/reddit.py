"""Reddit: site search or a subreddit's newest posts, from the JSON API or the Atom (``.rss``) feeds.

Params: ``query`` and/or ``subreddit`` (both: search restricted to the subreddit); ``format``:
``json`` (``/search.json``, ``/r/X/new.json``), ``rss`` (``/search.rss``, ``/r/X/new/.rss``) or
``auto`` (the default: JSON, and when Reddit refuses it with 403 — it blocks unauthenticated JSON more
and more — the same listing from the Atom feed; the refusal is kept in the source's state and the next
crawls go straight to the feed for a day before trying JSON again). Both page by the ``after`` cursor
(the feed's is the last entry's id) and give the same ids (``t3_…`` posts, ``t1_…`` comments), so a
source that switches format adds no rows. The feed has no counts: a post first read from it has no
engagement, and counts read earlier from JSON are kept. Its ``/u/name`` authors lose the ``/u/``,
its HTML bodies lose Reddit's "submitted by … [link] [comments]" footer, and the subreddits that a
search lists among its results (``t5_…``) are skipped. ``[deleted]`` authors have no handle and
``[removed]`` bodies are kept as they are (a later crawl logs the edit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

import feedparser
from scrapy import Request
from scrapy.http import Response

from bounceback.types import utcnow
from crawlers.base import SourceSpider, as_int, dig, html_text, parse_time
from crawlers.items import MentionItem

PAGE_SIZE = 100
GONE_AUTHORS = {"[deleted]", "[removed]", ""}
FORMATS = ("auto", "json", "rss")
JSON_RETRY_AFTER = timedelta(hours=24)
_SELF_TEXT = re.compile(r"<!--\s*SC_OFF\s*-->(.*?)<!--\s*SC_ON\s*-->", re.S)
_FOOTER = re.compile(r"(?:&#32;|\s)*submitted\s+by(?:&#32;|\s)", re.S)
_COMMENT_TITLE = re.compile(r"^/u/\S+ on (.+)$", re.S)


def feed_text(content: str) -> str:
    """The words of a feed entry's HTML: the self-text block, or what precedes the footer."""
    match = _SELF_TEXT.search(content)
    body = match.group(1) if match else _FOOTER.split(content, maxsplit=1)[0]
    return html_text(body)


class RedditSpider(SourceSpider):
    """Reddit search or subreddit listing (public JSON, or the Atom feed)."""

    name = "reddit"
    default_base_url = "https://www.reddit.com"
    site = "https://www.reddit.com"

    @property
    def wire_format(self) -> str:
        """``auto``, ``json`` or ``rss`` (ValueError for anything else: a config error)."""
        value = self.param("format", "auto").lower()
        if value not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {value!r}")
        return value

    def _where(self, suffix: str, after: str | None) -> str:
        query, sub = self.param("query"), self.param("subreddit").removeprefix("r/").strip("/")
        common = {"limit": PAGE_SIZE, "raw_json": 1 if suffix == ".json" else None, "after": after}
        if query and sub:
            return self.url(f"/r/{sub}/search{suffix}", q=query, restrict_sr="on", sort="new", **common)
        if query:
            return self.url(f"/search{suffix}", q=query, sort="new", **common)
        return self.url(f"/r/{sub}/new{'/.rss' if suffix == '.rss' else suffix}", **common)

    def listing_url(self, after: str | None = None) -> str:
        """The JSON listing URL of the source's query or subreddit, at the ``after`` cursor."""
        return self._where(".json", after)

    def feed_url(self, after: str | None = None) -> str:
        """The Atom feed URL of the source's query or subreddit, at the ``after`` cursor."""
        return self._where(".rss", after)

    def json_refused_recently(self) -> bool:
        """True when an earlier crawl saw the JSON API refused less than a day ago."""
        refused = parse_time(self.prior_state.get("json_refused_at"))
        return refused is not None and utcnow() - refused < JSON_RETRY_AFTER

    def first_requests(self) -> Iterable[Request]:
        """The first page, from the JSON API or the feed."""
        fmt = self.wire_format
        if fmt == "rss" or (fmt == "auto" and self.json_refused_recently()):
            yield self.feed_request(None)
        else:
            yield self.json_request(None)

    def json_request(self, after: str | None) -> Request:
        """A JSON listing page; in ``auto`` a 403 reaches `parse`, which turns to the feed."""
        meta = {"handle_httpstatus_list": [403]} if self.wire_format == "auto" else {}
        return self.request(self.listing_url(after), self.parse, meta=meta, cb_kwargs={"after": after})

    def feed_request(self, after: str | None) -> Request:
        """An Atom feed page."""
        return self.request(self.feed_url(after), self.parse_feed)

    def parse(self, response: Response, after: str | None = None) -> Iterator[Any]:
        """One JSON listing page: its posts, then the next page by ``after`` (a 403: the feed instead)."""
        if response.status == 403:
            body = response.body[:200].decode("utf-8", "replace").strip()
            self.logger.warning("JSON refused at %s (HTTP 403: %s): reading the feed", response.url, body)
            self.state_updates["json_refused_at"] = utcnow().isoformat()
            self.state_updates["json_refused"] = f"HTTP 403: {body}"[:300]
            yield self.instead_of(response.request, self.feed_request(after))
            return
        if self.prior_state.get("json_refused_at"):
            self.state_updates["json_refused_at"] = None  # JSON works again
        data = self.json(response)
        if data is None:
            return
        children = dig(data, "data", "children")
        cursor = dig(data, "data", "after")
        next_request = self.json_request(cursor) if cursor else None
        yield from self.page(response, children, self.to_item, next_request)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """One Atom feed page: its posts, then the page after its last post."""
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        parsed = feedparser.parse(response.body.lstrip(), response_headers={"content-type": content_type})
        if not parsed.entries and (parsed.bozo or not parsed.get("version")):
            self.report.pages += 1
            reason = parsed.get("bozo_exception") or "no Atom feed found"
            self.report.error("layout", f"not a readable Reddit feed: {reason}", response.url)
            return
        posts = [str(e.get("id")) for e in parsed.entries if str(e.get("id", "")).startswith(("t3_", "t1_"))]
        next_request = self.feed_request(posts[-1]) if posts else None
        yield from self.page(response, parsed.entries, self.feed_item, next_request)

    def to_item(self, child: dict[str, Any]) -> MentionItem | None:
        """A ``t3`` post or ``t1`` comment of a JSON listing; other kinds are skipped."""
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

    def feed_item(self, entry: Any) -> MentionItem | None:
        """A ``t3`` post or ``t1`` comment of an Atom feed; subreddits (``t5``) are skipped."""
        ident = str(entry.get("id") or "").strip()
        if not ident.startswith(("t3_", "t1_")):
            return None
        author = str(entry.get("author") or "").strip().removeprefix("/u/")
        handle = None if author in GONE_AUTHORS else author
        title = str(entry.get("title") or "")
        comment_on = _COMMENT_TITLE.match(title) if ident.startswith("t1_") else None
        subreddit = str(dig(entry, "tags", 0, "term") or "").strip() or None
        return MentionItem(
            source_id=self.source_id,
            external_id=ident,
            url=entry.get("link") or None,
            title=(comment_on.group(1) if comment_on else title) or None,
            text=feed_text(str(dig(entry, "content", 0, "value") or entry.get("summary") or "")),
            author_handle=handle,
            author_url=f"{self.site}/user/{handle}" if handle else None,
            published_at=parse_time(entry.get("published") or entry.get("updated")),
            raw_ref=self.ref(ident),
            extra={"subreddit": subreddit},
        )
