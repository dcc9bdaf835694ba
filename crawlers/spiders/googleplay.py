"""Google Play reviews (optional: ``pip install 'bounceback[googleplay]'``).

Google has no public reviews API: the Play web app loads an app's reviews by POSTing the ``oCPfdb``
RPC to ``/_/PlayStoreUi/data/batchexecute?hl=LANG&gl=COUNTRY``. The google-play-scraper package knows
that RPC: the request body, the ``)]}'`` prefix of the answer and where each field of a review sits,
and it follows Google's changes. This spider takes exactly that knowledge from the package
(`Formats.Reviews`, `Regex.REVIEWS`, `ElementSpecs.Review`) but sends every request through Scrapy,
so robots.txt, politeness, retries, the size limit and the private-address guard apply as they do to
every other source. The package's own HTTP client is never called: it retries blindly, sleeps in the
caller's thread, and on import turns off TLS certificate checks for the whole process
(``ssl._create_default_https_context``), which this module undoes at once (see `_load_protocol`).

Params: ``app_id`` (``com.example.app``); ``lang`` (one code or several, comma-separated; default
``en``: Google lists the reviews written in that language); ``country`` (default ``us``);
``count`` (reviews a page, 1-200, default 100); optional ``base_url``. Newest first; each language
is a stream with its own paging and incremental stop. A review's author is its display name (Google
gives no stable handle); the anonymous "A Google user" is stored without an author.

Rate limiting: Google answers 429, or a 200 whose body names ``PlayGatewayError``; both are retried
with backoff by the retry middleware (``retry_body_marker``). If Google's robots.txt disallows the
RPC path, the crawl records a robots error and fetches nothing: bounceback never overrides it.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response

from crawlers.base import SourceSpider, as_int, dig, parse_time
from crawlers.items import MentionItem

RPC_ID = "oCPfdb"
GATEWAY_ERROR = b"com.google.play.gateway.proto.PlayGatewayError"
PER_PAGE = 100
MAX_PER_PAGE = 200
ANONYMOUS = "A Google user"
PUBLIC_URL = "https://play.google.com/store/apps/details"
_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$", re.IGNORECASE)
_APP_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
_NEWEST = 2  # google_play_scraper.Sort.NEWEST


@dataclass(frozen=True)
class PlayProtocol:
    """What google-play-scraper knows of the reviews RPC: URL, request body, answer prefix, field paths."""

    reviews: Any  # google_play_scraper.constants.request.Formats.Reviews: URL and body builders
    answer: re.Pattern[str]
    paths: dict[str, list[int]]


def _load_protocol() -> PlayProtocol:
    """Import the package's constants, keeping the process's TLS certificate checks on.

    Importing ``google_play_scraper`` runs its ``utils.request`` module, which replaces
    ``ssl._create_default_https_context`` with an unverified one for every later urllib call in the
    process; it is put back as it was before anything else runs.
    """
    default_context = ssl._create_default_https_context
    try:
        from google_play_scraper.constants.element import ElementSpecs
        from google_play_scraper.constants.regex import Regex
        from google_play_scraper.constants.request import Formats
    finally:
        ssl._create_default_https_context = default_context
    paths = {name: list(spec.data_map) for name, spec in ElementSpecs.Review.items()}
    return PlayProtocol(Formats.Reviews, Regex.REVIEWS, paths)


PROTOCOL = _load_protocol()


def rpc_payload(body: bytes) -> tuple[Any, str | None]:
    """The reviews RPC's inner payload from an answer body, or (None, why not).

    The answer is ``)]}'`` then a JSON list of envelopes; the ``oCPfdb`` one carries the payload as a
    JSON string (double-encoded). Google's chunked framing (a length line before each chunk) is
    understood too.
    """
    text = body.decode("utf-8", "replace")
    found = PROTOCOL.answer.findall(text)
    if not found:
        return None, "no )]}' prefix: not a batchexecute answer"
    chunks = [found[0]] + [line for line in found[0].splitlines() if line.startswith("[")]
    for chunk in chunks:
        try:
            envelopes = json.loads(chunk)
        except ValueError:
            continue
        for envelope in envelopes if isinstance(envelopes, list) else []:
            if isinstance(envelope, list) and envelope[:2] == ["wrb.fr", RPC_ID]:
                inner = envelope[2] if len(envelope) > 2 else None
                if not isinstance(inner, str):
                    code = envelope[5] if len(envelope) > 5 else None
                    return None, f"Google Play sent no review data (error {code}): is the app id right?"
                try:
                    return json.loads(inner), None
                except ValueError as exc:
                    return None, f"malformed review payload: {exc}"
    return None, f"no {RPC_ID} answer in the body"


def field(review: Any, name: str) -> Any:
    """One field of a raw review by the package's path for it (None when absent)."""
    return dig(review, *PROTOCOL.paths[name])


def epoch_time(value: Any) -> datetime | None:
    """A UTC datetime from Google's epoch seconds (the package's own conversion uses local time)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return parse_time(value)


class GooglePlaySpider(SourceSpider):
    """Reviews of one Android app, newest first, per review language."""

    name = "googleplay"
    default_base_url = "https://play.google.com"

    def languages(self) -> list[str]:
        """The review languages to read (invalid codes are recorded and skipped)."""
        out = []
        for code in self.param("lang", "en").replace(" ", "").split(","):
            if _CODE.match(code):
                out.append(code.lower())
            elif code:
                self.report.error("config", f"ignored language code {code!r}")
        return out or ["en"]

    @property
    def per_page(self) -> int:
        """Reviews asked for per request."""
        count = as_int(self.param("count", str(PER_PAGE))) or PER_PAGE
        return max(1, min(MAX_PER_PAGE, count))

    def page_request(self, lang: str, token: str | None = None) -> Request:
        """The RPC for one page of ``lang`` reviews (``token``: Google's continuation token)."""
        app_id = self.param("app_id")
        if not _APP_ID.match(app_id):
            raise ValueError(f"invalid app id {app_id!r} (expected a package name like com.example.app)")
        country = self.param("country", "us").lower()
        if not _CODE.match(country):
            raise ValueError(f"invalid country code {country!r}")
        path = PROTOCOL.reviews.build(lang=lang, country=country).split("play.google.com", 1)[1]
        body = PROTOCOL.reviews.build_body(app_id, _NEWEST, self.per_page, "null", "null", token)
        return self.request(
            self.base_url + path,
            self.parse,
            method="POST",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
            cb_kwargs={"lang": lang, "token": token},
            meta={"retry_body_marker": GATEWAY_ERROR.decode(), "bb_resumable_body": True},
        )

    def first_requests(self) -> Iterable[Request]:
        """Page 1 of each language."""
        for lang in self.languages():
            yield self.page_request(lang)

    def parse(self, response: Response, lang: str, token: str | None = None) -> Iterator[Any]:
        """One page of reviews, then the next while Google sends a continuation token."""
        if GATEWAY_ERROR in response.body[:2000]:  # a refusal, like a 429: not a page read
            self.report.error("http", "Google Play rate limit (PlayGatewayError) after retries", response.url)
            return
        payload, problem = rpc_payload(response.body)
        if problem is not None:
            self.report.pages += 1
            self.report.error("layout", problem, response.url)
            return
        records = dig(payload, 0)
        if payload is None or payload == []:
            records = []  # no reviews in this language (the package reads these answers the same way)
        following = dig(payload, 1, 1)
        next_request = self.page_request(lang, following) if isinstance(following, str) else None
        yield from self.page(
            response,
            records if isinstance(records, list) else None,
            lambda review: self.to_item(review, lang),
            next_request,
            stream=lang,
        )

    def to_item(self, review: Any, lang: str) -> MentionItem:
        """One review with its stars, thumbs-up count, app version and the developer's reply."""
        review_id = field(review, "reviewId")
        if not isinstance(review_id, str) or not review_id:
            raise ValueError("review without an id")
        stars = field(review, "score")
        if stars is not None and (isinstance(stars, bool) or stars not in (1, 2, 3, 4, 5)):
            raise ValueError(f"review {review_id}: rating {stars!r} outside 1-5")
        name = field(review, "userName")
        name = name.strip() if isinstance(name, str) else None
        extra: dict[str, Any] = {"lang": lang, "country": self.param("country", "us").lower()}
        version = field(review, "appVersion")
        if isinstance(version, str) and version:
            extra["app_version"] = version
        reply = field(review, "replyContent")
        if isinstance(reply, str) and reply.strip():
            replied = epoch_time(field(review, "repliedAt"))
            extra["company_reply"] = {"text": reply, "published_at": replied.isoformat() if replied else None}
        app_id = self.param("app_id")
        text = field(review, "content")
        return MentionItem(
            source_id=self.source_id,
            external_id=review_id,
            text=text if isinstance(text, str) else "",
            url=f"{PUBLIC_URL}?{urlencode({'id': app_id, 'reviewId': review_id})}",
            author_handle=name if name and name != ANONYMOUS else None,
            author_name=name if name and name != ANONYMOUS else None,
            rating=float(stars) if stars is not None else None,
            published_at=epoch_time(field(review, "at")),
            likes=as_int(field(review, "thumbsUpCount")),
            raw_ref=self.ref(f"{lang}/review/{review_id}"),
            extra=extra,
        )
