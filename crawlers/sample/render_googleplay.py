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


def _review(seen: Seen) -> list[Any]:
    m = seen.mention
    at = int(seen.published.timestamp())
    avatar = [None, 2, None, [None, None, f"https://play-lh.googleusercontent.com/a/{m.author.handle}"]]
    replied = None
    if m.category != "praise" and m.rank % 4 == 0:  # the developer answers some complaints an hour later
        replied = [None, REPLY, [at + 3600, 0]]
    version = m.extra.get("version")
    likes = m.engagement(seen.hours)["likes"]
    text = f"{m.title}. {m.text}" if m.title else m.text
    return [googleplay_id(seen), [m.author.display_name, avatar], m.rating or 3, None, text,
            [at, 0], likes, replied, None, [None, version], version]  # fmt: skip


def googleplay_answer(reviews: list[Seen], token: str | None) -> bytes:
    """One page of the reviews RPC's answer (``token``: the next page's, None on the last page)."""
    payload: list[Any] = (
        [[_review(s) for s in reviews], [None, token], None]
        if token
        else [
            [_review(s) for s in reviews],
            None,
        ]
    )
    envelope = ["wrb.fr", "oCPfdb", json.dumps(payload), None, None, None, "generic"]
    return PREFIX + json.dumps([envelope, ["di", 42], ["af.httprm", 41, "-1", 7]]).encode()


def googleplay_unknown_app() -> bytes:
    """The answer for an app id Google does not know: the envelope without a payload."""
    return PREFIX + json.dumps([["wrb.fr", "oCPfdb", None, None, None, [3], "generic"], ["di", 9]]).encode()


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
