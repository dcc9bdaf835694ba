"""Trustpilot: a company's review pages, read from the JSON the page embeds for Next.js.

``https://www.trustpilot.com/review/{company}?page=N`` carries ``<script id="__NEXT_DATA__">`` with
``props.pageProps.reviews[]`` (id, title, text, rating, dates, consumer, likes, reply, language) and
``filters.pagination``. The company's reply is kept in ``extra`` so an agent sees what was already
said. Params: ``company`` (the identifying name, e.g. ``example.com``) or ``url`` (a review page);
optional ``base_url``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response, TextResponse

from crawlers.base import SourceSpider, as_int, dig, parse_time
from crawlers.items import MentionItem

NEXT_DATA = "script#__NEXT_DATA__::text"


class TrustpilotSpider(SourceSpider):
    """Reviews of one company on Trustpilot, newest pages first."""

    name = "trustpilot"
    default_base_url = "https://www.trustpilot.com"

    def company(self) -> str:
        """The company's identifying name, from ``company`` or from a review page ``url``."""
        company = self.param("company")
        if company:
            return company.strip("/")
        path = urlsplit(self.param("url")).path.strip("/").split("/")
        if len(path) >= 2 and path[0] == "review":
            return path[1]
        raise ValueError("a trustpilot source needs company=NAME or url=https://…/review/NAME")

    def default_base(self) -> str:
        """The site of the ``url`` param when one is given, else trustpilot.com."""
        url = urlsplit(self.param("url"))
        return f"{url.scheme}://{url.netloc}" if url.scheme and url.netloc else self.default_base_url

    def page_url(self, page: int) -> str:
        """Review page ``page`` (newest first)."""
        return self.url(f"/review/{self.company()}", sort="recency", page=page if page > 1 else None)

    def first_requests(self) -> Iterable[Request]:
        """Page 1."""
        yield self.request(self.page_url(1), self.parse, cb_kwargs={"page": 1})

    def parse(self, response: Response, page: int) -> Iterator[Any]:
        """One review page: its reviews, then the next page while pagination says there is one."""
        props = self.page_props(response)
        if props is None:
            return
        records = props.get("reviews")
        total_pages = as_int(dig(props, "filters", "pagination", "totalPages")) or 1
        next_request = None
        if page < total_pages:
            next_request = self.request(self.page_url(page + 1), self.parse, cb_kwargs={"page": page + 1})
        business = dig(props, "businessUnit") or {}
        if page == 1 and isinstance(business, dict):
            self.state_updates["business"] = {
                "name": business.get("displayName"),
                "trust_score": business.get("trustScore"),
                "reviews": business.get("numberOfReviews"),
            }

        def to_item(review: Any) -> MentionItem | None:
            return self.to_item(review, response)

        yield from self.page(response, records if isinstance(records, list) else None, to_item, next_request)

    def page_props(self, response: Response) -> dict[str, Any] | None:
        """``props.pageProps`` of the embedded JSON, or None after recording why not."""
        raw = response.css(NEXT_DATA).get() if isinstance(response, TextResponse) else None
        if not raw:
            self.report.pages += 1
            self.report.error("layout", "no __NEXT_DATA__ script in the page (layout changed?)", response.url)
            return None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            self.report.pages += 1
            self.report.error("parse", f"malformed __NEXT_DATA__ JSON: {exc}", response.url)
            return None
        props = dig(data, "props", "pageProps")
        if not isinstance(props, dict):
            self.report.pages += 1
            self.report.error("layout", "no props.pageProps in __NEXT_DATA__ (layout changed?)", response.url)
            return None
        return props

    def to_item(self, review: Any, response: Response) -> MentionItem:
        """One review with its rating, author and the company's reply."""
        review_id = str(review["id"])
        rating = review.get("rating")
        if rating is not None and not 1 <= float(rating) <= 5:
            raise ValueError(f"review {review_id}: rating {rating!r} outside 1-5")
        consumer = review.get("consumer") or {}
        reply = review.get("reply") or None
        extra: dict[str, Any] = {"country": consumer.get("countryCode")}
        if isinstance(reply, dict) and reply.get("message"):
            extra["company_reply"] = {
                "text": reply.get("message"),
                "published_at": reply.get("publishedDate"),
            }
        return MentionItem(
            source_id=self.source_id,
            external_id=review_id,
            text=str(review.get("text") or "").strip(),
            title=str(review.get("title") or "").strip() or None,
            url=f"{self.base_url}/reviews/{review_id}",
            author_handle=consumer.get("id") or consumer.get("displayName"),
            author_name=consumer.get("displayName"),
            rating=float(rating) if rating is not None else None,
            language=review.get("language") or None,
            published_at=parse_time(dig(review, "dates", "publishedDate")),
            likes=as_int(review.get("likes")),
            raw_ref=self.ref(response, f"__NEXT_DATA__/props/pageProps/reviews/{review_id}"),
            extra=extra,
        )
