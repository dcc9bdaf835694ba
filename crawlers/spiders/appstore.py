"""Apple App Store customer reviews: the RSS feed as JSON, per country and app id.

``https://itunes.apple.com/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json``
gives 50 reviews a page, newest first, up to page 10 (page 11 answers in plain text: "CustomerReviews
RSS page depth is limited to 10"). A page with one review sends ``entry`` as an object instead of a
list, an empty page has no ``entry`` at all. Params: ``app_id``; ``country`` (one code or several,
comma-separated; default ``us``); optional ``base_url``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawlers.base import SourceSpider, as_int, dig, parse_time
from crawlers.items import MentionItem

APPLE_PAGE_LIMIT = 10
PER_PAGE = 50
PAGE_LIMIT_TEXT = "page depth is limited"
_COUNTRY = re.compile(r"^[a-z]{2}$")
_LAST_PAGE = re.compile(r"/page=(\d+)/")


def entries_of(feed: dict[str, Any]) -> list[Any]:
    """The feed's entries as a list, whatever Apple sent (object, list, or nothing)."""
    entry = feed.get("entry")
    if entry is None:
        return []
    return entry if isinstance(entry, list) else [entry]


def last_page(feed: dict[str, Any]) -> int | None:
    """The page number of the feed's ``last`` link, when it has a usable one."""
    links = feed.get("link")
    for link in links if isinstance(links, list) else [links]:
        attributes = dig(link, "attributes") or {}
        if attributes.get("rel") == "last":
            match = _LAST_PAGE.search(str(attributes.get("href") or ""))
            return int(match.group(1)) if match else None
    return None


def star_rating(value: Any) -> float:
    """The 1-5 star rating of an entry; ValueError for anything else (Apple sends strings)."""
    try:
        stars = int(str(value).strip())
    except ValueError:
        raise ValueError(f"invalid rating {value!r}") from None
    if not 1 <= stars <= 5:
        raise ValueError(f"invalid rating {value!r} (expected 1-5)")
    return float(stars)


def _http_url(value: Any) -> str | None:
    text = str(value or "").strip()
    return text if text.startswith(("https://", "http://")) else None


class AppStoreSpider(SourceSpider):
    """Reviews of one app in one or more App Store countries."""

    name = "appstore"
    default_base_url = "https://itunes.apple.com"

    def countries(self) -> list[str]:
        """The storefront country codes to read (invalid ones are recorded and skipped)."""
        out = []
        for code in self.param("country", "us").lower().replace(" ", "").split(","):
            if _COUNTRY.match(code):
                out.append(code)
            elif code:
                self.report.error("parse", f"ignored country code {code!r} (two letters expected)")
        return out or ["us"]

    def page_request(self, country: str, page: int) -> Request:
        """The request for one page; Apple's 400 "page depth" answer reaches `parse` too."""
        return self.request(
            self.page_url(country, page),
            self.parse,
            cb_kwargs={"country": country, "page": page},
            meta={"handle_httpstatus_list": [400]},
        )

    def page_url(self, country: str, page: int) -> str:
        """The JSON feed URL of one page."""
        app_id = self.param("app_id")
        return self.url(f"/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json")

    @property
    def page_limit(self) -> int:
        """Apple serves at most 10 pages; the crawl budget may allow fewer."""
        return min(APPLE_PAGE_LIMIT, self.max_pages)

    def first_requests(self) -> Iterable[Request]:
        """Page 1 of each country."""
        for country in self.countries():
            yield self.page_request(country, 1)

    def parse(self, response: Response, country: str, page: int) -> Iterator[Any]:
        """One feed page: its reviews, then the next page while there are more."""
        head = response.body[:200]
        if PAGE_LIMIT_TEXT.encode() in head and not head.lstrip().startswith(b"{"):
            self.logger.info("Apple's page depth limit reached at %s", response.url)
            return
        if response.status >= 400:  # let through only to recognise the page-limit answer above
            reason = f"HTTP {response.status}: {head.decode('utf-8', 'replace').strip()}".strip(": ")
            self.report.error("http", reason, response.url)
            return
        data = self.json(response)
        if data is None:
            return
        feed = dig(data, "feed")
        if not isinstance(feed, dict):
            self.report.pages += 1
            self.report.error("layout", "no 'feed' object in the answer (layout changed?)", response.url)
            return
        records = entries_of(feed)
        last = last_page(feed)
        more = len(records) >= PER_PAGE and page < self.page_limit and (last is None or page < last)
        next_request = self.page_request(country, page + 1) if more else None

        def to_item(entry: Any) -> MentionItem | None:
            return self.to_item(entry, country, response)

        yield from self.page(response, records, to_item, next_request, stream=country)

    def to_item(self, entry: Any, country: str, response: Response) -> MentionItem | None:
        """One review; an entry without a rating or text (the app's own entry in old feeds) is skipped.

        A review whose rating is invalid is kept without a rating, and the problem is recorded.
        """
        if not isinstance(entry, dict):
            raise TypeError(f"entry is a {type(entry).__name__}, not an object")
        review_id = str(dig(entry, "id", "label") or "").strip()
        text = str(dig(entry, "content", "label") or "")
        if "im:rating" not in entry and not text:
            return None
        if not review_id:
            raise ValueError("review without an id")
        rating: float | None
        try:
            rating = star_rating(dig(entry, "im:rating", "label"))
        except ValueError as exc:
            rating = None
            self.parse_failure(response, f"review {review_id}: {exc}; kept without a rating")
        app_id = self.param("app_id")
        return MentionItem(
            source_id=self.source_id,
            external_id=review_id,
            text=text,
            title=str(dig(entry, "title", "label") or "") or None,
            url=f"https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews#review-{review_id}",
            author_handle=str(dig(entry, "author", "name", "label") or "").strip() or None,
            author_url=_http_url(dig(entry, "author", "uri", "label")),
            rating=rating,
            published_at=parse_time(dig(entry, "updated", "label")),
            likes=as_int(dig(entry, "im:voteSum", "label")),
            score=as_int(dig(entry, "im:voteCount", "label")),
            raw_ref=self.ref(response, f"review-{review_id}"),
            extra={"country": country, "app_version": dig(entry, "im:version", "label")},
        )
