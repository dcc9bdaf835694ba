"""Sample Google Play reviews as the Play web app's reviews RPC answers them (``oCPfdb`` over batchexecute).

No capture of Google Play exists in ``../shared/fixtures``; the shape is the one google-play-scraper 1.2.7
reads (``features/reviews.py``, ``constants/element.py``), described in tests/crawlers/playsample.py.
The continuation token here is simply the offset of the next page.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from crawlers.sample.render_social import Seen, stable_number

PLAY_APP_ID = "com.northwindcoffee.orderahead"
PREFIX = b")]}'\n\n"
REPLY = "We're sorry about this. Please write to care@northwindcoffee.example with your order number."


def googleplay_id(seen: Seen) -> str:
    """A review id in Google's ``gp:`` style, stable per sample mention."""
    return f"gp:AOqpTO{stable_number(f'{seen.mention.rank}:{seen.mention.text}', 16):016d}"


def review_record(
    review_id: str,
    name: str,
    stars: int | None,
    text: str | None,
    at: int,
    *,
    thumbs: int = 0,
    version: str | None = None,
    reply: tuple[str, int] | None = None,
    avatar: str = "",
) -> list[Any]:
    """One raw review at the positions google-play-scraper reads (``reply``: text and epoch seconds)."""
    picture = [
        None,
        2,
        None,
        [None, None, f"https://play-lh.googleusercontent.com/a/{avatar or review_id[-6:]}"],
    ]
    replied = [None, reply[0], [reply[1], 0]] if reply else None
    return [review_id, [name, picture], stars, None, text, [at, 123000000], thumbs, replied, None,
            [None, version] if version else None, version]  # fmt: skip


def rpc_answer(payload: Any) -> bytes:
    """A batchexecute answer whose ``oCPfdb`` envelope carries ``payload`` (double-encoded JSON)."""
    envelope = ["wrb.fr", "oCPfdb", json.dumps(payload), None, None, None, "generic"]
    return PREFIX + json.dumps([envelope, ["di", 42], ["af.httprm", 41, "-1", 7]]).encode()


def reviews_answer(records: list[Any], token: str | None) -> bytes:
    """One page of reviews (``token``: the next page's; None on the last page, where Google sends none)."""
    return rpc_answer([records, [None, token], None] if token else [records, None])


def unknown_app_answer(code: int = 3) -> bytes:
    """The answer for an app id Google does not know: the envelope without a payload, an error code."""
    envelope = ["wrb.fr", "oCPfdb", None, None, None, [code], "generic"]
    return PREFIX + json.dumps([envelope, ["di", 9]]).encode()


def googleplay_answer(reviews: list[Seen], token: str | None) -> bytes:
    """One page of the sample's reviews (the developer answers some complaints an hour later)."""
    records = []
    for seen in reviews:
        m = seen.mention
        at = int(seen.published.timestamp())
        replied = m.category != "praise" and m.rank % 4 == 0
        records.append(
            review_record(
                googleplay_id(seen),
                m.author.display_name,
                m.rating or 3,
                f"{m.title}. {m.text}" if m.title else m.text,
                at,
                thumbs=m.engagement(seen.hours)["likes"],
                version=m.extra.get("version"),
                reply=(REPLY, at + 3600) if replied else None,
                avatar=m.author.handle,
            )
        )
    return reviews_answer(records, token)


def googleplay_request(body: bytes) -> tuple[str, int, int] | None:
    """(app id, count, offset) from a POSTed ``f.req`` form, or None when it is not a reviews request."""
    try:
        (freq,) = parse_qs(body.decode("utf-8"))["f.req"]
        inner = json.loads(json.loads(freq)[0][0][1])
        paging, app = inner[1][2], inner[2][0]
        count = int(paging[0])
        offset = int(paging[2]) if len(paging) > 2 and str(paging[2]).isdigit() else 0
    except (KeyError, ValueError, IndexError, TypeError, UnicodeDecodeError):
        return None
    return str(app), max(1, min(count, 200)), offset
