"""Any RSS, Atom or JSON Feed: Google Alerts, Google News searches, blogs, news sites.

feedparser reads RSS/Atom whatever the file extension claims and whatever encoding the XML prolog
declares (GB18030, windows-1250 …); JSON Feed (jsonfeed.org) is read here since feedparser does not.
Whitespace before ``<?xml`` is stripped (strict parsers refuse it). Google Alerts and old Google
News links are ``google.com/url?…&url=<target>`` redirects: the target is kept. Titles lose their
``<b>`` highlighting. Requests are conditional (``If-None-Match`` / ``If-Modified-Since`` from the
ETag and Last-Modified kept in the source's state), so an unchanged feed answers 304 and the crawl
is a quiet success. Params: ``url``.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import feedparser
from scrapy import Request
from scrapy.http import Response

from crawlers.base import SourceSpider, dig, html_text, parse_time
from crawlers.items import MentionItem

JSON_FEED_VERSION = "https://jsonfeed.org/version/"
REDIRECT_HOSTS = {"www.google.com", "google.com", "news.google.com"}
_SLASH_DATE = re.compile(r"^\s*(\d{4})/(\d{1,2})/(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


def unwrap_link(url: str) -> str:
    """The target of a Google redirect link (``…/url?…&url=<target>``); other links unchanged."""
    parts = urlsplit(url)
    if parts.hostname in REDIRECT_HOSTS and parts.path in ("/url", "/news/url"):
        target = parse_qs(parts.query).get("url") or parse_qs(parts.query).get("q")
        if target and target[0].startswith(("http://", "https://")):
            return target[0]
    return url


def entry_time(entry: Any) -> datetime | None:
    """Publication time of an entry: ``2020/1/10 14:33:00`` forms read as written (feedparser
    misreads them), anything else from feedparser's parsed dates. Zone-less times are taken as UTC."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        match = _SLASH_DATE.match(raw) if isinstance(raw, str) else None
        if match:
            year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
            try:
                return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except ValueError:
                return None
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return None


def clean_body(body: bytes) -> bytes:
    """Drop a BOM and whitespace before the XML declaration."""
    return body.removeprefix(b"\xef\xbb\xbf").lstrip()


class FeedSpider(SourceSpider):
    """The entries of one feed."""

    name = "feed"

    def first_requests(self) -> Iterable[Request]:
        """The feed, conditionally when an earlier crawl saw its ETag or Last-Modified."""
        headers = {}
        if self.prior_state.get("etag"):
            headers["If-None-Match"] = str(self.prior_state["etag"])
        if self.prior_state.get("last_modified"):
            headers["If-Modified-Since"] = str(self.prior_state["last_modified"])
        yield self.request(
            self.param("url"), self.parse, headers=headers, meta={"handle_httpstatus_list": [304]}
        )

    def parse(self, response: Response) -> Iterator[Any]:
        """Every entry; 304 Not Modified ends the crawl quietly."""
        if response.status == 304:
            self.report.pages += 1
            self.logger.info("feed not modified since the last crawl: %s", response.url)
            return
        for header, key in ((b"ETag", "etag"), (b"Last-Modified", "last_modified")):
            value = response.headers.get(header)
            self.state_updates[key] = value.decode("latin-1") if value else None
        body = clean_body(response.body)
        if body.startswith(b"{"):
            yield from self.parse_json_feed(response, body)
            return
        parsed = feedparser.parse(body, response_headers={"content-type": self._content_type(response)})
        if not parsed.entries and (parsed.bozo or not parsed.get("version")):
            self.report.pages += 1
            reason = parsed.get("bozo_exception") or "no RSS/Atom feed found"
            self.report.error("layout", f"not a readable feed: {reason}", response.url)
            return
        language = (parsed.feed.get("language") or "").split("-")[0].lower() or None

        def to_item(entry: Any) -> MentionItem:
            return self.to_item(entry, response, language)

        yield from self.page(response, parsed.entries, to_item)

    def _content_type(self, response: Response) -> str:
        return (response.headers.get(b"Content-Type") or b"").decode("latin-1")

    def to_item(self, entry: Any, response: Response, language: str | None) -> MentionItem:
        """One RSS/Atom entry."""
        link = unwrap_link(str(entry.get("link") or ""))
        title = html_text(entry.get("title")) or None
        content = dig(entry, "content", 0, "value") or entry.get("summary") or ""
        ident = str(entry.get("id") or link or "").strip()
        if not ident:
            raise ValueError("entry has neither an id nor a link")
        author = html_text(entry.get("author")) or None
        return MentionItem(
            source_id=self.source_id,
            external_id=ident[:300],
            text=html_text(content),
            title=title,
            url=link or None,
            author_handle=author,
            author_name=author,
            language=(entry.get("language") or language),
            published_at=entry_time(entry),
            raw_ref=self.ref(response, ident[:200]),
            extra={"comments": entry["comments"]} if entry.get("comments") else {},
        )

    def parse_json_feed(self, response: Response, body: bytes) -> Iterator[Any]:
        """A JSON Feed (version 1 or 1.1); other JSON is a parse error."""
        try:
            data = json.loads(body)
        except ValueError as exc:
            self.report.pages += 1
            self.report.error("layout", f"not a readable feed: malformed JSON: {exc}", response.url)
            return
        if not str(dig(data, "version") or "").startswith(JSON_FEED_VERSION):
            self.report.pages += 1
            self.report.error(
                "layout", "not a readable feed: JSON without a jsonfeed.org version", response.url
            )
            return
        items = data.get("items")
        language = str(data.get("language") or "").split("-")[0].lower() or None
        feed_author = _author_name(data)

        def to_item(item: Any) -> MentionItem:
            ident = str(item.get("id") or item.get("url") or "").strip()
            if not ident:
                raise ValueError("JSON Feed item without id or url")
            author = _author_name(item) or feed_author
            return MentionItem(
                source_id=self.source_id,
                external_id=ident[:300],
                text=html_text(item.get("content_html"))
                or str(item.get("content_text") or item.get("summary") or ""),
                title=html_text(item.get("title")) or None,
                url=item.get("url") or item.get("external_url"),
                author_handle=author,
                author_name=author,
                language=item.get("language") or language,
                published_at=parse_time(item.get("date_published") or item.get("date_modified")),
                raw_ref=self.ref(response, ident[:200]),
            )

        yield from self.page(response, items if isinstance(items, list) else None, to_item)


def _author_name(node: Any) -> str | None:
    author = dig(node, "author") or (dig(node, "authors", 0))
    name = dig(author, "name") if isinstance(author, dict) else None
    return (str(name).strip() or None) if name else None
