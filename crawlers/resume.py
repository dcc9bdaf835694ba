"""Resume pointers: where a later crawl stopped at its page budget with unseen items left (a gap).

A pointer is a JSON dict kept in ``Source.state["resume"]`` (see crawlers/base.py)::

    {"stream": "default", "url": "…", "callback": "parse", "cb_kwargs": {…}, "meta": {…},
     "until": "2026-11-23T10:00:00+00:00", "until_ids": [], "tries": 0}

``until`` is the stream's watermark from before the crawl that left the gap: the resumed chain stops
when a page's oldest item is older than it (or is one of ``until_ids``, for items without a time).
Headers are never stored (they may carry tokens), nor meta keys that look like credentials or that
are not plain JSON. A request with a body (an RPC's POST) is resumed only when its spider marked it
``meta["bb_resumable_body"]`` (a body that names a page, never a credential): the pointer then keeps
``method``, ``body`` (UTF-8 text, at most ``MAX_BODY_CHARS``) and the request's ``Content-Type``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from scrapy import Request

from crawlers.clean import parse_time

MAX_POINTERS = 10  # pending gaps kept per source; more are given up (recorded as errors)
MAX_TRIES = 3  # crawls in a row a pointer may be issued without its chain finishing or moving on
UNTIL_IDS_KEPT = 50
RESUME_KEY = "bb_resume"  # request meta: the index of the pointer a request's chain resumes
NOTE_KINDS = {"budget", "resume"}  # report errors that note paging gaps: never a failure on their own
MAX_BODY_CHARS = 8192
SECRET_HINTS = ("auth", "token", "cookie", "password", "secret", "proxy", "key")


def _plain(value: Any) -> bool:
    try:
        return bool(json.loads(json.dumps(value)) == value)
    except (TypeError, ValueError):
        return False


def make_pointer(
    request: Request, stream: str, until: datetime | None, until_ids: list[str]
) -> dict[str, Any]:
    """The pointer that reissues ``request`` later; ValueError when it cannot be stored faithfully."""
    callback = getattr(request.callback, "__name__", None)
    body = _resumable_body(request)
    if not callback or not isinstance(callback, str):
        raise ValueError("the request has no named callback")
    if not _plain(request.cb_kwargs):
        raise ValueError("the callback's arguments are not plain JSON")
    meta = {
        k: v
        for k, v in request.meta.items()
        if not k.startswith("bb_") and not any(h in k.lower() for h in SECRET_HINTS) and _plain(v)
    }
    pointer: dict[str, Any] = {
        "stream": stream,
        "url": request.url,
        "callback": callback,
        "cb_kwargs": dict(request.cb_kwargs),
        "meta": meta,
        "until": until.isoformat() if until else None,
        "until_ids": until_ids[:UNTIL_IDS_KEPT],
        "tries": 0,
    }
    if body is not None:
        content_type = request.headers.get(b"Content-Type") or b""
        pointer.update(method=request.method, body=body, content_type=content_type.decode("latin-1"))
    return pointer


def _resumable_body(request: Request) -> str | None:
    """The body to keep for a resumed request (None for a plain GET); ValueError when not allowed."""
    if request.method == "GET" and not request.body:
        return None
    if not request.meta.get("bb_resumable_body"):
        raise ValueError(f"a {request.method} request with a body cannot be resumed")
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the request body is not UTF-8 text") from None
    if len(body) > MAX_BODY_CHARS:
        raise ValueError(f"the request body is over {MAX_BODY_CHARS} characters")
    return body


def reissue_kwargs(pointer: dict[str, Any]) -> dict[str, Any]:
    """Request arguments beyond URL and callback that reissue a pointer (method and body, if kept)."""
    body = pointer.get("body")
    if not isinstance(body, str):
        return {}
    kwargs: dict[str, Any] = {"method": str(pointer.get("method") or "POST"), "body": body.encode("utf-8")}
    if pointer.get("content_type"):
        kwargs["headers"] = {"Content-Type": str(pointer["content_type"])}
    return kwargs


def valid_pointers(value: Any) -> list[dict[str, Any]]:
    """The well-formed pointers of a saved state (anything else is ignored)."""
    if not isinstance(value, list):
        return []
    return [
        p
        for p in value
        if isinstance(p, dict) and isinstance(p.get("url"), str) and isinstance(p.get("callback"), str)
    ]


def describe(pointer: dict[str, Any]) -> str:
    """One line naming a gap: where it starts and what it reaches back to."""
    until = pointer.get("until") or "the items seen before"
    return f"{pointer.get('url')} (stream {pointer.get('stream')}, back to {until})"


class Gaps:
    """The resume pointers of one crawl: those pending from before (by index) and what became of them."""

    def __init__(self, saved: Any) -> None:
        self.pointers = valid_pointers(saved)
        self.pages: dict[int, int] = {}
        self.done: set[int] = set()  # chains that reached their gap's end (or were given up)
        self.replaced: dict[int, dict[str, Any]] = {}  # chains stopped by the budget again
        self.new: list[dict[str, Any]] = []  # gaps this crawl left in its main chains
        self.settled: list[dict[str, Any]] | None = None

    def key(self, request: Request | None) -> int | None:
        """The pointer index a request's chain resumes, or None for a main chain."""
        key = request.meta.get(RESUME_KEY) if request is not None else None
        return key if isinstance(key, int) and 0 <= key < len(self.pointers) else None

    def count_page(self, key: int) -> int:
        """Count a page of a resumed chain; the chain's pages so far."""
        self.pages[key] = self.pages.get(key, 0) + 1
        return self.pages[key]

    def reached_end(self, key: int, external_id: str, when: datetime | None, known: set[str]) -> bool:
        """True when a resumed chain's item is one the crawl before the gap already covered."""
        pointer = self.pointers[key]
        if external_id in known or external_id in (pointer.get("until_ids") or []):
            return True
        until = parse_time(pointer.get("until"))
        return bool(until is not None and when is not None and when < until)

    def stop(
        self, key: int | None, request: Request, stream: str, state: dict[str, Any], budget: int
    ) -> tuple[str, str]:
        """A later crawl's chain stopped by the budget before ``request``: its pointer; the note to record.

        ``state``: the stream's (``watermark`` and ``prior_ids`` from before this crawl end a new gap).
        """
        if key is None:
            until, until_ids = state["watermark"], list(state["prior_ids"])
        else:
            until, until_ids = (
                parse_time(self.pointers[key].get("until")),
                self.pointers[key].get("until_ids") or [],
            )
        left = f"page budget of {budget} pages reached with unseen items left"
        try:
            pointer = make_pointer(request, stream, until, until_ids)
        except ValueError as exc:
            if key is not None:
                self.done.add(key)
            return (
                "resume",
                f"{left}, and the next page cannot be resumed ({exc}): "
                f"the gap from {request.url} is given up",
            )
        if key is None:
            self.new.append(pointer)
        else:
            self.replaced[key] = pointer
        return "budget", f"{left}; the next crawl resumes at {request.url}"

    def settle(self, error: Callable[[str, str], None]) -> list[dict[str, Any]]:
        """The pointers to save (computed once; each gap given up is passed to ``error``)."""
        if self.settled is not None:
            return self.settled
        kept = list(self.new)
        for key, pointer in enumerate(self.pointers):
            if key in self.replaced:
                kept.append(self.replaced[key])
            elif key not in self.done:
                tries = int(pointer.get("tries") or 0) + 1
                if tries >= MAX_TRIES:
                    error(
                        "resume",
                        f"gap given up after {tries} crawls that did not finish it: {describe(pointer)}",
                    )
                else:
                    kept.append({**pointer, "tries": tries})
        for pointer in kept[MAX_POINTERS:]:
            error("resume", f"more than {MAX_POINTERS} gaps pending, given up: {describe(pointer)}")
        self.settled = kept[:MAX_POINTERS]
        return self.settled
