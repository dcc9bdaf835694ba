"""Bluesky: ``app.bsky.feed.searchPosts`` (param ``query``) and ``getAuthorFeed`` (param ``actor``).

Requests go to the public AppView without credentials. When it answers 401/403 (searchPosts may
need a session), and ``BOUNCEBACK_BLUESKY_IDENTIFIER`` plus ``BOUNCEBACK_BLUESKY_APP_PASSWORD`` are
set, the spider opens a session (``com.atproto.server.createSession`` on ``bsky.social``, or on the
source's ``base_url``) and repeats the request there with the access token; the password is never
logged. Pages by ``cursor``. Reposts in an author feed are skipped (the post is someone else's and
has its own id); a post with no text of its own reads its embed (image alt text, link card, quote).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from scrapy import Request
from scrapy.http import Response

from bounceback.settings import get_settings
from crawlers.base import SourceSpider, as_int, dig, parse_time
from crawlers.items import MentionItem

PAGE_SIZE = 100
AUTH_HOST = "https://bsky.social"
APP = "https://bsky.app"


def embed_text(embed: Any) -> str:
    """Readable text of an embed view: image alt texts, a link card, or a quoted post."""
    if not isinstance(embed, dict):
        return ""
    kind = str(embed.get("$type", ""))
    parts: list[str] = []
    if "images" in kind:
        parts += [f"[image: {i['alt']}]" for i in embed.get("images") or [] if i.get("alt")]
    if "external" in kind:
        ext = embed.get("external") or {}
        parts.append(" - ".join(p for p in (ext.get("title"), ext.get("description")) if p))
    if "recordWithMedia" in kind:
        parts += [embed_text(embed.get("media")), _quote(embed.get("record"))]
    elif "record" in kind:
        parts.append(_quote(embed))
    return "\n".join(p for p in parts if p)


def _quote(view: Any) -> str:
    """``[quoting @handle: text]`` of an embedded record view (``{record: viewRecord}``)."""
    record = dig(view, "record")
    if isinstance(dig(record, "record"), dict):  # some views nest once more
        record = record["record"]
    text, who = dig(record, "value", "text"), dig(record, "author", "handle")
    if not text:
        return ""
    return f"[quoting @{who}: {text}]" if who else f"[quoting: {text}]"


class BlueskySpider(SourceSpider):
    """Bluesky post search and author feeds."""

    name = "bluesky"
    default_base_url = "https://public.api.bsky.app"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token: str | None = None
        self.api_base = self.base_url

    def first_requests(self) -> Iterable[Request]:
        """searchPosts and/or getAuthorFeed, first page."""
        if self.param("query"):
            yield self.api_request(
                "/xrpc/app.bsky.feed.searchPosts", "search", q=self.param("query"), sort="latest"
            )
        if self.param("actor"):
            yield self.api_request("/xrpc/app.bsky.feed.getAuthorFeed", "actor", actor=self.param("actor"))

    def api_request(self, path: str, stream: str, cursor: str | None = None, **query: Any) -> Request:
        """A request to the API base (with the session token once there is one)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        pairs = {
            k: v for k, v in {"limit": PAGE_SIZE, "cursor": cursor, **query}.items() if v not in (None, "")
        }
        return self.request(
            f"{self.api_base}{path}?{urlencode(pairs)}",
            self.parse,
            headers=headers,
            meta={"handle_httpstatus_list": [401, 403]},
            cb_kwargs={"path": path, "stream": stream, "query": query},
            dont_filter=bool(self.token),
        )

    def parse(self, response: Response, path: str, stream: str, query: dict[str, Any]) -> Iterator[Any]:
        """One page of posts (or the server asking for a session), then the cursor's next page."""
        if response.status in (401, 403):
            yield from self.authenticate(response, path, stream, query)
            return
        data = self.json(response)
        if data is None:
            return
        if stream == "actor":
            feed = dig(data, "feed")
            records = [item for item in feed if isinstance(item, dict)] if isinstance(feed, list) else None
        else:
            records = dig(data, "posts")
        cursor = dig(data, "cursor")
        next_request = None
        if isinstance(cursor, str) and cursor and records:
            next_request = self.api_request(path, stream, cursor=cursor, **query)
        yield from self.page(response, records, self.to_item, next_request, stream=stream)

    def authenticate(
        self, response: Response, path: str, stream: str, query: dict[str, Any]
    ) -> Iterator[Any]:
        """Open a session with the app password, then repeat the refused request; else record why not."""
        settings = get_settings()
        password = settings.bluesky_app_password.get_secret_value()
        if self.token or not (settings.bluesky_identifier and password):
            hint = (
                ""
                if self.token
                else " (set BOUNCEBACK_BLUESKY_IDENTIFIER and BOUNCEBACK_BLUESKY_APP_PASSWORD)"
            )
            self.report.error(
                "http", f"HTTP {response.status}: the server wants a session{hint}", response.url
            )
            return
        self.api_base = self.base_url if self.params.get("base_url") else AUTH_HOST
        body = json.dumps({"identifier": settings.bluesky_identifier, "password": password})
        yield Request(
            self.api_base + "/xrpc/com.atproto.server.createSession",
            method="POST",
            body=body,
            headers={"Content-Type": "application/json"},
            callback=self.on_session,
            errback=self.on_error,
            cb_kwargs={"path": path, "stream": stream, "query": query, "refused": response.request},
            dont_filter=True,
        )

    def on_session(
        self, response: Response, path: str, stream: str, query: dict[str, Any], refused: Request
    ) -> Iterator[Any]:
        """Keep the access token and repeat the refused request (same cursor) on the session's host."""
        token = dig(self.json(response), "accessJwt")
        if not isinstance(token, str) or not token:
            self.report.error("http", "createSession answered without an access token", response.url)
            return
        self.token = token
        cursor = parse_qs(urlparse(refused.url).query).get("cursor", [None])[0]
        yield self.instead_of(refused, self.api_request(path, stream, cursor=cursor, **query))

    def to_item(self, record: dict[str, Any]) -> MentionItem | None:
        """A postView (search) or a feed item ``{post, reply?, reason?}`` (author feed)."""
        if "post" in record and "uri" not in record:
            if "repost" in str(dig(record, "reason", "$type") or "").lower():
                return None
            record = record["post"]
        uri = str(record["uri"])
        author = record["author"]
        handle = str(author["handle"])
        post = record.get("record") or {}
        text = str(post.get("text") or "").strip() or embed_text(record.get("embed"))
        langs = post.get("langs") or []
        rkey = uri.rsplit("/", 1)[-1]
        return MentionItem(
            source_id=self.source_id,
            external_id=uri,
            url=f"{APP}/profile/{handle}/post/{rkey}",
            text=text,
            author_handle=handle,
            author_name=author.get("displayName") or None,
            author_followers=as_int(author.get("followersCount")),
            author_url=f"{APP}/profile/{handle}",
            language=langs[0] if langs and isinstance(langs[0], str) else None,
            published_at=parse_time(post.get("createdAt")) or parse_time(record.get("indexedAt")),
            likes=as_int(record.get("likeCount")),
            replies=as_int(record.get("replyCount")),
            reposts=as_int(record.get("repostCount")),
            raw_ref=self.ref(f"/posts/uri={uri}"),
        )
