"""A local HTTP server replaying the Northwind Coffee sample in every source's wire format.

``python -m crawlers.replay --port 8765 [--mentions 300] [--seed 7] [--speed 1]``

It serves Reddit search/listing JSON and the same listings as Reddit's Atom feeds (``.rss``), Hacker
News Algolia ``search_by_date``, Mastodon v2 search and tag timelines (``Link`` pagination), Bluesky
``searchPosts``, App Store customer-reviews RSS JSON, a Trustpilot page with ``__NEXT_DATA__``,
schema.org product pages, a Google Alerts Atom feed and a news RSS feed (with ETag/Last-Modified,
answering 304), and a robots.txt that allows everything.
Mentions whose publication time is still ahead of the server's clock stay hidden until then, so new
items arrive while it runs (``--speed`` compresses the waiting); engagement grows with age.

Why the standard library's ``ThreadingHTTPServer``: a replay of canned answers on loopback needs no
framework and no extra dependency; one thread per connection easily serves a crawl of 10,000
mentions, and tests can run it in a background thread next to Scrapy's reactor.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from crawlers.sample import Sample, SampleMention, build_sample
from crawlers.sample import render_googleplay as gp
from crawlers.sample import render_reviews as rr
from crawlers.sample import render_social as rs
from crawlers.sample.generate import APP_COUNTRIES, PRODUCTS, TAG
from crawlers.sample.render_reddit_atom import reddit_atom
from crawlers.sample.render_social import Seen
from crawlers.sample.sources import demo_sources

__all__ = ["ReplayData", "ReplayServer", "demo_sources", "start_replay"]

APPSTORE_PER_PAGE = 50
APPSTORE_MAX_PAGE = 10
TRUSTPILOT_PER_PAGE = 20
PLAY_JSON = "application/json+protobuf; charset=UTF-8"


class ReplayData:
    """The sample plus a clock: what is visible now, and how engaged it is."""

    def __init__(
        self,
        sample: Sample,
        *,
        start: float | None = None,
        speed: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sample = sample
        self.clock = clock  # the one place the server reads the time (tests pass a controllable one)
        self.start = clock() if start is None else start
        self.speed = max(speed, 1e-6)
        self._newest_first = {p: list(reversed(items)) for p, items in sample.by_platform.items()}

    def published(self, m: SampleMention) -> float:
        """Epoch seconds at which ``m`` appears (future offsets are compressed by the speed)."""
        return self.start + (m.offset if m.offset <= 0 else m.offset / self.speed)

    def visible(self, platform: str, now: float | None = None) -> list[Seen]:
        """The platform's mentions published by ``now``, newest first."""
        now = self.clock() if now is None else now
        out = []
        for m in self._newest_first[platform]:
            at = self.published(m)
            if at <= now:
                hours = (now - at) * self.speed / 3600
                out.append(Seen(m, datetime.fromtimestamp(at, UTC), hours))
        return out


def _matches(seen: Seen, query: str) -> bool:
    words = [w.strip("\"'#@").lower() for w in query.split()]
    haystack = f"{seen.mention.title} {seen.mention.text}".lower()
    return all(w in haystack for w in words if w)


def _int(params: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(params.get(name, [str(default)])[0])
    except ValueError:
        value = default
    return min(max(value, low), high)


def _first(params: dict[str, list[str]], name: str, default: str = "") -> str:
    return params.get(name, [default])[0]


class ReplayHandler(BaseHTTPRequestHandler):
    """Routes a request to the renderer of the format its path names."""

    server: ReplayServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path, params = unquote(parts.path), parse_qs(parts.query)
        self.server.requests.append(self.path)
        data = self.server.data
        base = self.server.url
        segs = [s for s in path.split("/") if s]
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path.endswith(("/search.json", "/new.json")):
            if self.server.reddit_json_refused:  # the body of Reddit's 403 (reddit/error_403_* captures)
                return self._json(403, {"message": "Forbidden", "error": 403})
            return self._reddit(data, path, params)
        if path.endswith(("/search.rss", "/new/.rss")):
            return self._reddit_atom(data, path, params)
        if path in ("/api/v1/search_by_date", "/api/v1/search"):
            return self._hackernews(data, params)
        if path == "/api/v2/search":
            return self._mastodon_search(data, params, base)
        if path.startswith("/api/v1/timelines/tag/") and len(segs) == 5:
            return self._mastodon_tag(data, segs[4], params, base)
        if path == "/xrpc/app.bsky.feed.searchPosts":
            return self._bluesky(data, params)
        if "customerreviews" in segs and path.endswith("/json"):
            return self._appstore(data, segs, params, base)
        if len(segs) == 2 and segs[0] == "review":
            return self._trustpilot(data, segs[1], params, base)
        if len(segs) == 3 and segs[:2] == ["shop", "products"] and segs[2] in PRODUCTS:
            reviews = [s for s in data.visible("schemaorg") if s.mention.extra.get("product") == segs[2]]
            page = rr.schemaorg_page(segs[2], reviews, base=base)
            return self._send(200, page.encode(), "text/html; charset=utf-8")
        if path == "/alerts/feeds/1/1" or path == "/news/feed.xml":
            return self._feed(data, "alerts" if path.startswith("/alerts") else "news", base)
        if path == "/demo/sources.json":  # what `bounceback demo` registers (the kernel cannot import us)
            return self._json(200, demo_sources(base))
        if path == "/":
            return self._send(200, _index(base).encode(), "text/html; charset=utf-8")
        return self._json(404, {"error": "Not Found"})

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        self.server.requests.append(self.path)
        length = min(int(self.headers.get("Content-Length") or 0), 65_536)
        body = self.rfile.read(length) if length else b""
        if unquote(parts.path) == "/_/PlayStoreUi/data/batchexecute":
            return self._googleplay(self.server.data, parse_qs(parts.query), body)
        return self._json(404, {"error": "Not Found"})

    # --- platforms ------------------------------------------------------------------------------

    def _reddit_page(
        self, data: ReplayData, path: str, params: dict[str, list[str]]
    ) -> tuple[list[Seen], str | None]:
        """One listing page (search or a subreddit's newest) and the ``after`` cursor of the next."""
        items = data.visible("reddit")
        segs = path.split("/")
        if len(segs) > 2 and segs[1] == "r" and _first(params, "restrict_sr", "on") not in ("0", "false"):
            items = [s for s in items if s.mention.extra.get("subreddit", "").lower() == segs[2].lower()]
        if "/search." in path:
            items = [s for s in items if _matches(s, _first(params, "q"))]
        after = _first(params, "after")
        if after:
            names = [f"t3_{rs.reddit_id(s.mention)}" for s in items]
            items = items[names.index(after) + 1 :] if after in names else []
        limit = _int(params, "limit", 25, 1, 100)
        page, more = items[:limit], len(items) > limit
        return page, (f"t3_{rs.reddit_id(page[-1].mention)}" if page and more else None)

    def _reddit(self, data: ReplayData, path: str, params: dict[str, list[str]]) -> None:
        page, next_after = self._reddit_page(data, path, params)
        self._json(200, rs.reddit_listing(page, next_after), {"x-ratelimit-remaining": "599.0"})

    def _reddit_atom(self, data: ReplayData, path: str, params: dict[str, list[str]]) -> None:
        page, _ = self._reddit_page(data, path, params)  # a feed has no cursor: the last id is one
        segs = path.split("/")
        body = reddit_atom(
            page,
            subreddit=segs[2] if len(segs) > 2 and segs[1] == "r" else None,
            query=_first(params, "q") if "/search." in path else None,
            params={k: v[0] for k, v in params.items()},
            updated=datetime.fromtimestamp(data.clock(), UTC),
            first_page=not _first(params, "after"),
        )
        self._send(200, body, "application/atom+xml; charset=UTF-8")

    def _hackernews(self, data: ReplayData, params: dict[str, list[str]]) -> None:
        query = _first(params, "query")
        items = [s for s in data.visible("hackernews") if _matches(s, query)]
        tags = _first(params, "tags").strip("()")
        if tags:
            wanted = {t.strip() for t in tags.split(",")}
            items = [s for s in items if ("story" if s.mention.extra.get("story") else "comment") in wanted]
        for cond in _first(params, "numericFilters").split(","):
            for op in ("<=", ">=", "<", ">"):
                if cond.startswith("created_at_i" + op):
                    limit_value = int(cond.removeprefix("created_at_i" + op))
                    items = [s for s in items if _compare(int(s.published.timestamp()), op, limit_value)]
                    break
        per_page = _int(params, "hitsPerPage", 20, 1, 1000)
        page = _int(params, "page", 0, 0, 10_000)
        hits = items[page * per_page : (page + 1) * per_page]
        self._json(200, rs.hn_page(hits, page=page, nb_hits=len(items), per_page=per_page, query=query))

    def _mastodon_page(self, items: list[Seen], params: dict[str, list[str]], limit: int) -> list[Seen]:
        max_id, min_id = _first(params, "max_id"), _first(params, "min_id") or _first(params, "since_id")
        if max_id.isdigit():
            items = [s for s in items if int(rs.mastodon_id(s.mention)) < int(max_id)]
        if min_id.isdigit():
            items = [s for s in items if int(rs.mastodon_id(s.mention)) > int(min_id)]
        offset = _int(params, "offset", 0, 0, 100_000)
        return items[offset : offset + limit]

    def _mastodon_search(self, data: ReplayData, params: dict[str, list[str]], base: str) -> None:
        kind = _first(params, "type")
        statuses: list[Seen] = []
        if kind in ("", "statuses"):
            items = [s for s in data.visible("mastodon") if _matches(s, _first(params, "q"))]
            statuses = self._mastodon_page(items, params, _int(params, "limit", 20, 1, 40))
        body = {"accounts": [], "statuses": [rs.mastodon_status(s, base) for s in statuses], "hashtags": []}
        self._json(200, body, {"x-ratelimit-remaining": "299"})

    def _mastodon_tag(self, data: ReplayData, tag: str, params: dict[str, list[str]], base: str) -> None:
        items = [s for s in data.visible("mastodon") if f"#{tag.lower()}" in s.mention.text.lower()]
        page = self._mastodon_page(items, params, _int(params, "limit", 20, 1, 40))
        headers = {}
        if page:
            url = f"{base}/api/v1/timelines/tag/{tag}"
            first, last = rs.mastodon_id(page[0].mention), rs.mastodon_id(page[-1].mention)
            headers["Link"] = f'<{url}?max_id={last}>; rel="next", <{url}?min_id={first}>; rel="prev"'
        self._json(200, [rs.mastodon_status(s, base) for s in page], headers)

    def _bluesky(self, data: ReplayData, params: dict[str, list[str]]) -> None:
        items = [s for s in data.visible("bluesky") if _matches(s, _first(params, "q"))]
        cursor = _first(params, "cursor")
        start = int(cursor) if cursor.isdigit() else 0
        limit = _int(params, "limit", 25, 1, 100)
        page = items[start : start + limit]
        body: dict[str, Any] = {"posts": [rs.bluesky_post(s) for s in page], "hitsTotal": len(items)}
        if start + limit < len(items):
            body["cursor"] = str(start + limit)
        self._json(200, body)

    def _appstore(self, data: ReplayData, segs: list[str], params: dict[str, list[str]], base: str) -> None:
        fields = dict(s.split("=", 1) for s in segs if "=" in s)
        country = (segs[0] if len(segs[0]) == 2 else _first(params, "cc", "us")).lower()
        page = int(fields.get("page", "1")) if fields.get("page", "1").isdigit() else 1
        if fields.get("id") != rr.APP_ID or country not in APP_COUNTRIES:
            return self._json(200, rr.appstore_feed([], country=country, page=1, last_page=1, base=base))
        if page > APPSTORE_MAX_PAGE:
            return self._send(400, rr.APPSTORE_PAGE_LIMIT_TEXT.encode(), "text/plain; charset=utf-8")
        items = [s for s in data.visible("appstore") if s.mention.extra.get("country") == country]
        last_page = min(APPSTORE_MAX_PAGE, max(1, -(-len(items) // APPSTORE_PER_PAGE)))
        chunk = items[(page - 1) * APPSTORE_PER_PAGE : page * APPSTORE_PER_PAGE]
        self._json(200, rr.appstore_feed(chunk, country=country, page=page, last_page=last_page, base=base))

    def _googleplay(self, data: ReplayData, params: dict[str, list[str]], body: bytes) -> None:
        wanted = gp.googleplay_request(body)
        if wanted is None:
            return self._send(400, b"[]", "application/json; charset=utf-8")
        app_id, count, offset = wanted
        if app_id != gp.PLAY_APP_ID:
            return self._send(200, gp.unknown_app_answer(), PLAY_JSON)
        lang = _first(params, "hl", "en").lower()
        items = [s for s in data.visible("googleplay") if s.mention.language == lang]
        chunk = items[offset : offset + count]
        token = str(offset + count) if offset + count < len(items) else None
        self._send(200, gp.googleplay_answer(chunk, token), PLAY_JSON)

    def _trustpilot(self, data: ReplayData, company: str, params: dict[str, list[str]], base: str) -> None:
        if company != rr.COMPANY:
            return self._send(404, b"<html><body>Page not found</body></html>", "text/html")
        items = data.visible("trustpilot")
        page = _int(params, "page", 1, 1, 100_000)
        chunk = items[(page - 1) * TRUSTPILOT_PER_PAGE : page * TRUSTPILOT_PER_PAGE]
        if page > 1 and not chunk:
            return self._send(404, b"<html><body>Page not found</body></html>", "text/html")
        html_page = rr.trustpilot_page(
            chunk, page=page, total=len(items), per_page=TRUSTPILOT_PER_PAGE, base=base
        )
        self._send(200, html_page.encode(), "text/html; charset=utf-8")

    def _feed(self, data: ReplayData, name: str, base: str) -> None:
        items = [s for s in data.visible("feed") if s.mention.extra.get("feed") == name]
        updated = items[0].published if items else datetime.fromtimestamp(data.start, UTC)
        render = rr.alerts_atom if name == "alerts" else rr.news_rss
        body = render(items, base=base, updated=updated)
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:16] + '"'
        modified = format_datetime(updated.replace(microsecond=0), usegmt=True)
        headers = {"ETag": etag, "Last-Modified": modified}
        if _not_modified(
            self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), etag, updated
        ):
            return self._send(304, b"", None, headers)
        ctype = (
            "application/atom+xml; charset=utf-8"
            if name == "alerts"
            else "application/rss+xml; charset=utf-8"
        )
        self._send(200, body, ctype, headers)

    # --- plumbing -------------------------------------------------------------------------------

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body, ensure_ascii=False).encode()
        self._send(status, raw, "application/json; charset=utf-8", headers)

    def _send(
        self, status: int, body: bytes, ctype: str | None, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


def _compare(value: int, op: str, limit: int) -> bool:
    return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[op]


def _not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, updated: datetime
) -> bool:
    if if_none_match:
        return etag in [t.strip() for t in if_none_match.split(",")]
    if if_modified_since:
        try:
            return updated.replace(microsecond=0) <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


def _index(base: str) -> str:
    links = [f"{base}/search.json?q=Northwind", f"{base}/search.rss?q=Northwind"]
    links += [f"{base}/api/v1/search_by_date?query=Northwind"]
    links += [f"{base}/api/v2/search?q=Northwind&type=statuses", f"{base}/api/v1/timelines/tag/{TAG}"]
    links += [f"{base}/xrpc/app.bsky.feed.searchPosts?q=Northwind", f"{base}/review/{rr.COMPANY}"]
    links += [f"{base}/us/rss/customerreviews/page=1/id={rr.APP_ID}/sortby=mostrecent/json"]
    links += [f"{base}/shop/products/{p}" for p in PRODUCTS] + [
        f"{base}/alerts/feeds/1/1",
        f"{base}/news/feed.xml",
    ]
    items = "".join(f'<li><a href="{u}">{u}</a></li>' for u in links)
    return f"<!DOCTYPE html><title>Northwind Coffee replay</title><ul>{items}</ul>"


class ReplayServer(ThreadingHTTPServer):
    """The replay server; ``url`` is its base URL once bound (port 0 picks a free port)."""

    daemon_threads = True

    def __init__(
        self,
        data: ReplayData,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        reddit_json_refused: bool = False,
    ) -> None:
        super().__init__((host, port), ReplayHandler)
        self.data = data
        self.verbose = verbose
        self.reddit_json_refused = reddit_json_refused  # answer Reddit's JSON as it does when it blocks
        self.requests: deque[str] = deque(maxlen=10_000)  # recent request paths (tests, debugging)
        self.url = f"http://{host}:{self.server_address[1]}"
        self._thread: threading.Thread | None = None

    def start_background(self) -> ReplayServer:
        """Serve from a daemon thread (tests, benchmarks, the demo)."""
        self._thread = threading.Thread(target=self.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        self.shutdown()
        self.server_close()
        if self._thread:
            self._thread.join(timeout=5)


def start_replay(
    mentions: int = 300, seed: int = 7, *, speed: float = 1.0, port: int = 0, start: float | None = None
) -> ReplayServer:
    """Build the sample and serve it on 127.0.0.1 in a background thread."""
    data = ReplayData(build_sample(mentions, seed), start=start, speed=speed)
    return ReplayServer(data, port=port).start_background()


def main(argv: list[str] | None = None) -> int:
    """Run the replay server in the foreground until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m crawlers.replay", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--mentions", type=int, default=300, help="size of the sample (default 300)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--speed", type=float, default=1.0, help="upcoming items arrive this many times faster"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--reddit-json-refused", action="store_true", help="answer Reddit's JSON with 403, as Reddit may"
    )
    args = parser.parse_args(argv)
    data = ReplayData(build_sample(args.mentions, args.seed), speed=args.speed)
    server = ReplayServer(
        data, args.host, args.port, verbose=args.verbose, reddit_json_refused=args.reddit_json_refused
    )
    print(f"replaying {args.mentions} Northwind Coffee mentions on {server.url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
