"""Sample mentions in the wire formats of Reddit, Hacker News (Algolia), Mastodon and Bluesky.

Field names and nesting follow the real captures in ``../shared/fixtures/<platform>/`` so that the
real spiders parse these exactly as they parse the platforms' own answers.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawlers.sample.generate import TAG, SampleMention

B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Seen:
    """A mention as the server shows it now: its absolute publication time and age in hours."""

    mention: SampleMention
    published: datetime
    hours: float


def iso_z(when: datetime, *, millis: bool = True) -> str:
    """``2026-11-23T10:00:00.000Z`` (the form most APIs use)."""
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{when.microsecond // 1000:03d}Z" if millis else "Z")


def stable_number(text: str, digits: int = 12) -> int:
    """A number derived from ``text`` (same text, same number, on every run)."""
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % (10**digits)


def _base36(number: int) -> str:
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rem = divmod(number, 36)
        out = chars[rem] + out
    return out or "0"


# --- Reddit -------------------------------------------------------------------------------------


def reddit_id(m: SampleMention) -> str:
    """Base-36 post id, growing with time like Reddit's."""
    return _base36(2_000_000_000 + m.rank * 1_297)


def reddit_permalink(m: SampleMention) -> str:
    """``/r/<sub>/comments/<id>/<slug>/``, as Reddit builds it from the title."""
    slug = "_".join("".join(c for c in m.title.lower() if c.isalnum() or c == " ").split()[:6]) or "post"
    return f"/r/{m.extra.get('subreddit', 'Coffee')}/comments/{reddit_id(m)}/{slug}/"


def reddit_post(seen: Seen) -> dict[str, Any]:
    """A ``t3`` child of a listing."""
    m = seen.mention
    pid = reddit_id(m)
    sub = m.extra.get("subreddit", "Coffee")
    permalink = reddit_permalink(m)
    eng = m.engagement(seen.hours)
    score = 1 + eng["likes"]
    return {
        "kind": "t3",
        "data": {
            "id": pid,
            "name": f"t3_{pid}",
            "subreddit": sub,
            "subreddit_name_prefixed": f"r/{sub}",
            "author": m.author.handle,
            "author_fullname": f"t2_{_base36(stable_number(m.author.handle, 9))}",
            "title": m.title,
            "selftext": m.text,
            "selftext_html": (
                f'<!-- SC_OFF --><div class="md"><p>{html.escape(m.text)}</p>\n</div><!-- SC_ON -->'
            ),
            "created": seen.published.timestamp(),
            "created_utc": seen.published.timestamp(),
            "permalink": permalink,
            "url": f"https://www.reddit.com{permalink}",
            "domain": f"self.{sub}",
            "is_self": True,
            "score": score,
            "ups": score,
            "downs": 0,
            "upvote_ratio": 0.9,
            "num_comments": eng["replies"],
            "num_crossposts": eng["reposts"] // 4,
            "over_18": False,
            "stickied": False,
            "locked": False,
            "edited": False,
            "distinguished": None,
            "link_flair_text": None,
        },
    }


def reddit_listing(posts: list[Seen], after: str | None) -> dict[str, Any]:
    """A listing page (newest first) with its ``after`` cursor."""
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "dist": len(posts),
            "modhash": "",
            "geo_filter": "",
            "children": [reddit_post(s) for s in posts],
            "before": None,
        },
    }


# --- Hacker News (Algolia) ----------------------------------------------------------------------


def hn_id(m: SampleMention) -> int:
    """Item id, growing with time."""
    return 42_000_000 + m.rank * 17


def hn_hit(seen: Seen) -> dict[str, Any]:
    """A story or comment hit of ``search_by_date``."""
    m = seen.mention
    oid = hn_id(m)
    eng = m.engagement(seen.hours)
    created = int(seen.published.timestamp())
    hit: dict[str, Any] = {
        "created_at": iso_z(seen.published),
        "created_at_i": created,
        "author": m.author.handle,
        "objectID": str(oid),
        "updated_at": iso_z(seen.published),
    }
    if m.extra.get("story"):
        hit.update(
            title=m.title,
            url=f"https://blog.example/{oid}",
            points=1 + eng["likes"],
            num_comments=eng["replies"],
            story_text=html.escape(m.text),
            comment_text=None,
            story_id=oid,
            _tags=["story", f"author_{m.author.handle}", f"story_{oid}"],
        )
    else:
        story = 41_000_000 + m.rank % 40
        hit.update(
            title=None,
            url=None,
            points=None,
            num_comments=None,
            story_text=None,
            comment_text=html.escape(m.text).replace("/", "&#x2F;"),
            story_id=story,
            story_title="Ask HN: Which coffee chains have decent apps?",
            story_url=None,
            parent_id=story,
            _tags=["comment", f"author_{m.author.handle}", f"story_{story}"],
        )
    return hit


def hn_page(hits: list[Seen], *, page: int, nb_hits: int, per_page: int, query: str) -> dict[str, Any]:
    """One page of an Algolia answer."""
    return {
        "hits": [hn_hit(s) for s in hits],
        "nbHits": nb_hits,
        "page": page,
        "nbPages": max(1, -(-nb_hits // per_page)),
        "hitsPerPage": per_page,
        "exhaustiveNbHits": True,
        "query": query,
        "params": f"query={query}&hitsPerPage={per_page}&page={page}",
        "processingTimeMS": 1,
    }


# --- Mastodon -----------------------------------------------------------------------------------


def mastodon_id(m: SampleMention) -> str:
    """Snowflake-like status id, growing with time."""
    return str(113_500_000_000_000_000 + m.rank * 65_536_013)


def mastodon_status(seen: Seen, base: str) -> dict[str, Any]:
    """A status as ``/api/v2/search`` and tag timelines return it."""
    m = seen.mention
    sid = mastodon_id(m)
    handle = m.author.handle
    account_id = str(110_000_000_000_000_000 + stable_number(handle, 15))
    eng = m.engagement(seen.hours)
    body = html.escape(m.text).replace(
        f"#{TAG}", f'<a href="{base}/tags/{TAG}" class="mention hashtag" rel="tag">#<span>{TAG}</span></a>'
    )
    tags = [{"name": TAG, "url": f"{base}/tags/{TAG}"}] if f"#{TAG}" in m.text else []
    return {
        "id": sid,
        "created_at": iso_z(seen.published),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": m.language,
        "uri": f"{base}/users/{handle}/statuses/{sid}",
        "url": f"{base}/@{handle}/{sid}",
        "replies_count": eng["replies"],
        "reblogs_count": eng["reposts"],
        "favourites_count": eng["likes"],
        "edited_at": None,
        "content": f"<p>{body}</p>",
        "reblog": None,
        "account": {
            "id": account_id,
            "username": handle,
            "acct": handle,
            "display_name": m.author.display_name,
            "locked": False,
            "bot": False,
            "created_at": "2023-01-01T00:00:00.000Z",
            "note": "",
            "url": f"{base}/@{handle}",
            "avatar": f"{base}/avatars/original/missing.png",
            "followers_count": m.author.followers,
            "following_count": 120,
            "statuses_count": 300,
            "emojis": [],
            "fields": [],
        },
        "media_attachments": [],
        "mentions": [],
        "tags": tags,
        "emojis": [],
        "card": None,
        "poll": None,
    }


# --- Bluesky ------------------------------------------------------------------------------------


def bluesky_rkey(m: SampleMention) -> str:
    """A TID-like record key (sortable base32), growing with time."""
    number = 1_700_000_000_000_000 + m.rank * 1_000_003
    out = ""
    for _ in range(13):
        number, rem = divmod(number, 32)
        out = B32_SORTABLE[rem] + out
    return out


def bluesky_post(seen: Seen) -> dict[str, Any]:
    """A ``postView`` as ``app.bsky.feed.searchPosts`` returns it."""
    m = seen.mention
    handle = m.author.handle if "." in m.author.handle else f"{m.author.handle}.bsky.social"
    did = "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
    rkey = bluesky_rkey(m)
    eng = m.engagement(seen.hours)
    return {
        "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
        "cid": "bafyrei" + hashlib.sha256(rkey.encode()).hexdigest()[:52],
        "author": {
            "did": did,
            "handle": handle,
            "displayName": m.author.display_name,
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkrei@jpeg",
            "labels": [],
            "createdAt": "2023-05-01T00:00:00.000Z",
        },
        "record": {
            "$type": "app.bsky.feed.post",
            "createdAt": iso_z(seen.published),
            "langs": [m.language],
            "text": m.text,
        },
        "replyCount": eng["replies"],
        "repostCount": eng["reposts"],
        "likeCount": eng["likes"],
        "quoteCount": 0,
        "indexedAt": iso_z(seen.published),
        "labels": [],
    }
