"""The shared spider base: a source's params and state, paging, incremental stop, error recording.

How a spider subclasses it (one small file per source, ``name`` == file name == source kind)::

    class RedditSpider(SourceSpider):
        name = "reddit"
        default_base_url = "https://www.reddit.com"

        def first_requests(self) -> Iterable[Request]:
            yield self.request(self.url("/search.json", q=self.param("query"), sort="new"), self.parse)

        def parse(self, response: Response) -> Iterator[Any]:
            data = self.json(response)            # None (error recorded) when not valid JSON
            if data is None:
                return
            records = dig(data, "data", "children")   # None when the layout is not what we expect
            yield from self.page(response, records, self.to_item, next_request=...)

        def to_item(self, record: Any) -> MentionItem | None:   # None = skip on purpose
            return MentionItem(source_id=self.source_id, external_id=..., text=..., ...)

What the base does for every spider:

- ``self.params`` is the Source row's params; ``self.base_url`` is the ``base_url`` param when given
  (tests and the demo point a spider at a local server) else ``default_base_url``; ``self.url(path,
  **query)`` joins the two.
- ``self.request(...)`` adds the errback that records HTTP errors (after retries), refused URLs,
  robots.txt refusals, timeouts and oversize responses in ``self.report.errors``.
- ``self.page(...)`` converts each record with ``to_item`` (``self.ref(pointer)`` then names the
  page being parsed, for ``MentionItem.raw_ref``) (an exception there is a parse failure
  recorded with its reason; the other records go on), reports "0 items parsed from a non-empty page"
  as a ``layout`` error, and follows ``next_request`` unless the page's last (oldest) item was
  already seen by an earlier successful crawl (``Source.state``: recent ids and the newest
  published time) or the page budget (``crawl_max_pages`` per stream) is spent.
- The page budget: a stream's first crawl reads back at most that many pages (the backfill limit,
  logged; older history was never promised). A later crawl stopped by the budget while the next
  page is still unseen leaves a gap, since the watermark moves up: it saves a resume pointer
  (crawlers/resume.py: the next request's URL, callback name, cb_kwargs, plain-JSON meta, never
  headers; ``until`` = the stream's watermark before this crawl) in ``state["resume"]`` and records a
  non-fatal ``budget`` error. The next crawl issues every pending pointer after its first requests
  (``meta["bb_resume"]``); a resumed chain has its own page budget, stops when a page's oldest item
  is older than ``until``, marks its next requests, and leaves the stream's watermark and ids alone.
  A finished chain's pointer is removed; one stopped by the budget again is replaced; one that did
  not finish (an error) is kept for ``MAX_TRIES`` crawls. At most ``MAX_POINTERS`` are kept; a gap
  given up is recorded as a ``resume`` error naming its URL.
- ``self.next_state()`` is what run.py saves in ``Source.state`` after a successful crawl (newest
  published time and recent ids per stream, pending resume pointers, plus anything a spider put in
  ``self.state_updates``, such as an ETag). A crawl that failed, timed out or was killed leaves the
  state as it was (pointers included), so the next crawl walks the same pages again and the upsert
  makes that harmless.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as ConnectTimeout
from twisted.python.failure import Failure
from w3lib.html import remove_tags, replace_entities

from bounceback.sources import get_source
from crawlers.clean import parse_time
from crawlers.items import MentionItem
from crawlers.middlewares import RefusedURL
from crawlers.resume import NOTE_KINDS, RESUME_KEY, Gaps, describe, reissue_kwargs

MAX_ERRORS_KEPT = 50
RECENT_IDS_KEPT = 200
DEFAULT_STREAM = "default"
# never lost to the cap:
ALWAYS_KEPT = {"layout", "refused", "robots", "config", "timeout", "crash", "auth"} | NOTE_KINDS


@dataclass
class CrawlReport:
    """What one crawl did: pages fetched, item counts (the pipeline fills those) and errors."""

    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    parked: int = 0
    duplicate: int = 0  # of ``new``: copies of a post another source stored first (never triaged)
    filtered: int = 0
    skipped: int = 0
    parse_failures: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_dropped: int = 0

    def error(self, kind: str, reason: str, url: str | None = None, *, permanent: bool = False) -> None:
        """Record one error (kind: http, auth, refused, robots, network, timeout, oversize, parse, layout;
        budget and resume are notes about paging gaps and never fail a crawl).

        ``permanent``: the next crawl will meet it again until someone changes the configuration (a
        refused token); such an error fails the crawl even when other pages were read.
        """
        if len(self.errors) >= MAX_ERRORS_KEPT and kind not in ALWAYS_KEPT:
            self.errors_dropped += 1
            return
        entry: dict[str, Any] = {"kind": kind, "reason": reason[:1000]}
        if url:
            entry["url"] = url[:500]
        if permanent:
            entry["permanent"] = True
        self.errors.append(entry)

    def kinds(self) -> set[str]:
        """The kinds of error seen."""
        return {e["kind"] for e in self.errors}


def dig(data: Any, *path: str | int) -> Any:
    """``data[p0][p1]…`` or None when any step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int) and isinstance(data, list) and -len(data) <= step < len(data):
            data = data[step]
        elif isinstance(step, str) and isinstance(data, dict):
            data = data.get(step)
        else:
            return None
    return data


def html_text(value: str | None) -> str:
    """Plain text of an HTML fragment: paragraphs and breaks become newlines, entities decoded."""
    if not value:
        return ""
    text = value.replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n")
    text = text.replace("</p>", "\n\n").replace("<p>", "\n\n")
    text = replace_entities(remove_tags(text))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def as_int(value: Any) -> int | None:
    """An int from a count field, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SourceSpider(scrapy.Spider):
    """Base of every bounceback spider; see the module docstring for how to subclass it."""

    name = "source"
    default_base_url: ClassVar[str] = ""

    def __init__(self, source_id: int | str, run_id: int | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        source = get_source(int(source_id))
        self.source_id: int = int(source_id)
        self.run_id = int(run_id) if run_id not in (None, "") else None
        self.source_kind: str = source.kind
        self.params: dict[str, Any] = dict(source.params or {})
        self.prior_state: dict[str, Any] = dict(source.state or {})
        self.state_updates: dict[str, Any] = {}
        self.base_url: str = str(self.params.get("base_url") or self.default_base()).rstrip("/")
        self.report = CrawlReport()
        self._streams: dict[str, dict[str, Any]] = {}
        self.gaps = Gaps(self.prior_state.get("resume"))  # the page budget's resume pointers
        self.current_response: Response | None = None  # the page `page()` is converting

    # --- for subclasses -----------------------------------------------------------------------

    def default_base(self) -> str:
        """The platform's base URL when the source gives no ``base_url`` (override if it varies)."""
        return self.default_base_url

    def first_requests(self) -> Iterable[Request]:
        """The crawl's first request(s); every spider implements this."""
        raise NotImplementedError

    def param(self, name: str, default: str = "") -> str:
        """A source parameter as a stripped string."""
        value = self.params.get(name)
        return default if value is None else str(value).strip()

    def url(self, path: str, **query: Any) -> str:
        """``base_url + path`` with the non-empty ``query`` values URL-encoded."""
        pairs = {k: v for k, v in query.items() if v not in (None, "")}
        return self.base_url + path + ("?" + urlencode(pairs) if pairs else "")

    def request(self, url: str, callback: Callable[..., Any], **kwargs: Any) -> Request:
        """A Request whose failures are recorded in the crawl report."""
        return Request(url, callback=callback, errback=self.on_error, **kwargs)

    def instead_of(self, refused: Request | None, replacement: Request) -> Request:
        """``replacement`` for a request the server refused, keeping its gap-resume mark (if any)."""
        if refused is None or RESUME_KEY not in refused.meta:
            return replacement
        replacement = replacement.replace(dont_filter=True)
        replacement.meta[RESUME_KEY] = refused.meta[RESUME_KEY]
        return replacement

    def json(self, response: Response) -> Any:
        """The response body as JSON, or None after recording a parse error (the crawl goes on)."""
        try:
            return json.loads(response.body)
        except (ValueError, UnicodeDecodeError) as exc:
            self.report.pages += 1
            self.report.error("parse", f"malformed JSON: {exc}", response.url)
            self.logger.warning("malformed JSON at %s: %s", response.url, exc)
            return None

    def ref(self, where: Response | str, pointer: str | None = None) -> str:
        """A raw payload reference: page URL + ``#`` + a JSON pointer or anchor.

        ``ref(response, pointer)`` names that response; ``ref(pointer)`` the page `page()` is parsing.
        """
        if isinstance(where, str):
            response, pointer = self.current_response, where
        else:
            response = where
        url = response.url if response is not None else self.base_url
        return f"{url}#{pointer}"

    def page(
        self,
        response: Response,
        records: Sequence[Any] | None,
        to_item: Callable[[Any], MentionItem | None],
        next_request: Request | None = None,
        *,
        stream: str = DEFAULT_STREAM,
    ) -> Iterator[MentionItem | Request]:
        """Items of one page, then the next page's request unless paging should stop here."""
        self.report.pages += 1
        self.current_response = response
        key = self.gaps.key(response.request)  # None: a main chain; else the gap it resumes
        pages_read = self._count_page(stream) if key is None else self.gaps.count_page(key)
        if records is None:
            self.report.error(
                "layout", "0 items parsed from a non-empty page (layout changed?)", response.url
            )
            return
        items: list[MentionItem] = []
        failures: list[str] = []
        skipped = 0
        for index, record in enumerate(records):
            try:
                item = to_item(record)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                failures.append(f"record {index}: {type(exc).__name__}: {exc}")
                continue
            if item is None:
                skipped += 1
            else:
                items.append(item)
        self.report.skipped += skipped
        self.report.parse_failures += len(failures)
        if records and not items and not skipped:
            detail = f" ({len(failures)} records failed, first: {failures[0]})" if failures else ""
            self.report.error("layout", "0 items parsed from a non-empty page" + detail, response.url)
        else:
            for reason in failures:
                self.report.error("parse", reason, response.url)
        if key is None:
            seen = [self._remember(item, stream) for item in items]
        else:
            known = self._stream(stream)["known"]
            seen = [self.gaps.reached_end(key, i.external_id, i.published_at, known) for i in items]
        yield from items
        if next_request is None or not items:
            if key is not None:
                self.gaps.done.add(key)
            return
        if seen and seen[-1]:  # the page reaches back to what an earlier crawl saw (a pinned post
            # or an out-of-order item higher up does not count: only the oldest on the page)
            self.logger.info("stopping at an already-seen item on %s", response.url)
            if key is not None:
                self.gaps.done.add(key)
            return
        if pages_read >= self.max_pages:
            self._budget_stop(response, next_request, stream, key)
            return
        if key is not None:  # the chain goes on: mark it, and never lose it to the duplicate filter
            next_request = next_request.replace(dont_filter=True)
            next_request.meta[RESUME_KEY] = key
        yield next_request

    def parse_failure(self, response: Response, reason: str) -> None:
        """Record a record that could not be parsed (the rest of the page goes on)."""
        self.report.parse_failures += 1
        self.report.error("parse", reason, response.url)

    # --- machinery ----------------------------------------------------------------------------

    @property
    def max_pages(self) -> int:
        """The page budget per stream (``crawl_max_pages``)."""
        return self.crawler.settings.getint("BOUNCEBACK_MAX_PAGES", 10)

    async def start(self) -> AsyncIterator[Any]:
        """Scrapy ≥ 2.13 entry: the first requests (a broken source config is recorded), then resumes."""
        try:
            requests = list(self.first_requests())
        except (ValueError, TypeError, KeyError) as exc:
            self.report.error("config", f"cannot build the first request: {type(exc).__name__}: {exc}")
            return
        if not requests:
            self.report.error("config", f"nothing to crawl: check the {self.name} source's parameters")
        for request in requests:
            yield request
        for key, pointer in enumerate(self.gaps.pointers):
            callback = getattr(self, pointer["callback"], None)
            if not callable(callback):
                self.gaps.done.add(key)
                self.report.error(
                    "resume", f"gap given up, no callback {pointer['callback']}: {describe(pointer)}"
                )
                continue
            meta = {**(pointer.get("meta") or {}), RESUME_KEY: key}
            kwargs = dict(pointer.get("cb_kwargs") or {})
            extra = {"dont_filter": True, **reissue_kwargs(pointer)}  # + method and body of a POST
            yield self.request(pointer["url"], callback, cb_kwargs=kwargs, meta=meta, **extra)

    def on_error(self, failure: Failure) -> None:
        """Errback of every request: classify the failure and record it."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else None
        kind, reason = classify_failure(failure)
        self.report.error(kind, reason, url)
        self.logger.warning("%s: %s (%s)", kind, reason, url)

    def _stream(self, stream: str) -> dict[str, Any]:
        state = self._streams.get(stream)
        if state is None:
            prior = dig(self.prior_state, "streams", stream) or {}
            state = self._streams[stream] = {
                "first": not (prior.get("ids") or prior.get("newest")),
                "prior_ids": list(prior.get("ids") or [])[:50],
                "known": set(prior.get("ids") or []),
                "watermark": parse_time(prior.get("newest")),
                "newest": parse_time(prior.get("newest")),
                "ids": [],
                "pages": 0,
            }
        return state

    def _count_page(self, stream: str) -> int:
        state = self._stream(stream)
        state["pages"] += 1
        return int(state["pages"])

    def _remember(self, item: MentionItem, stream: str) -> bool:
        """Note the item for the next state; True when an earlier crawl already saw it."""
        state = self._stream(stream)
        if len(state["ids"]) < RECENT_IDS_KEPT:
            state["ids"].append(item.external_id)
        when = item.published_at
        if when is not None and (state["newest"] is None or when > state["newest"]):
            state["newest"] = when
        if item.external_id in state["known"]:
            return True
        watermark = state["watermark"]
        return bool(watermark is not None and when is not None and when < watermark)

    def _budget_stop(self, response: Response, next_request: Request, stream: str, key: int | None) -> None:
        """The budget stopped a chain whose next page is unseen: a first crawl's limit, or a gap to resume."""
        state = self._stream(stream)
        if key is None and state["first"]:
            self.logger.info(
                "page budget of %d reached at %s on the first crawl of stream %s: older history is not read",
                self.max_pages,
                response.url,
                stream,
            )
            return
        kind, reason = self.gaps.stop(key, next_request, stream, state, self.max_pages)
        self.logger.warning("%s (at %s)", reason, response.url)
        self.report.error(kind, reason, response.url)

    def next_state(self) -> dict[str, Any]:
        """The Source.state to save after a successful crawl."""
        streams = dict(self.prior_state.get("streams") or {})
        for name, state in self._streams.items():
            old_ids = [i for i in (dig(streams, name, "ids") or []) if i not in set(state["ids"])]
            newest = state["newest"]
            streams[name] = {
                "newest": newest.isoformat() if newest else None,
                "ids": (state["ids"] + old_ids)[:RECENT_IDS_KEPT],
            }
        state = {**self.prior_state, **self.state_updates, "streams": streams}
        state.pop("resume", None)
        pointers = self.gaps.settle(self.report.error)
        return {**state, "resume": pointers} if pointers else state


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(kind, one-line reason) of a request failure."""
    exc = failure.value
    if isinstance(exc, HttpError):
        response = exc.response
        body = response.body[:200].decode("utf-8", "replace").strip()
        reason = f"HTTP {response.status}"
        retry_after = response.headers.get(b"Retry-After")
        if retry_after:
            reason += f" (Retry-After: {retry_after.decode('latin-1')})"
        return "http", f"{reason}: {body}" if body else reason
    if isinstance(exc, RefusedURL):
        return "refused", str(exc)
    if isinstance(exc, IgnoreRequest):
        text = str(exc) or "request ignored"
        return ("robots" if "robots.txt" in text else "ignored"), text
    if isinstance(exc, ConnectTimeout | TCPTimedOutError):
        return "timeout", str(exc) or "timed out"
    if isinstance(exc, DNSLookupError):
        return "network", f"DNS lookup failed: {exc}"
    text = f"{type(exc).__name__}: {exc}".strip()
    if "maxsize" in text.lower() or "max size" in text.lower() or "cancel" in text.lower():
        return "oversize", f"response larger than the size limit or cut short ({text})"
    return "network", text
