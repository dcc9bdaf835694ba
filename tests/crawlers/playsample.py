# ruff: noqa: RUF001  (real-looking review text: en dashes)
"""Google Play review answers written by this project (no capture of Google Play exists in ../shared).

../shared/fixtures/README.md: "Not yet here: Google Play (no raw capture of a review response was
found in public repositories) … test those spiders on samples shaped exactly as the provider documents
them, kept under tests/ with a note naming the documentation they follow".

Google documents nothing of this RPC. The shape here follows the two public readers of it, which are
what every Google Play scraper relies on:

- google-play-scraper 1.2.7 (PyPI), ``features/reviews.py``: the answer is ``)]}'\\n\\n`` + JSON
  (``Regex.REVIEWS``); ``json.loads(match[0][2])`` is the double-encoded payload of the first envelope
  (``["wrb.fr", "oCPfdb", "<payload>", null, null, null, "generic"]``); reviews at payload ``[0]``;
  the continuation token at payload ``[-2][-1]``, a list there meaning "no more pages".
  ``constants/element.py`` ``ElementSpecs.Review``: id ``[0]``, user name ``[1][0]``, avatar
  ``[1][1][3][2]``, stars ``[2]``, text ``[4]``, time ``[5][0]`` (epoch seconds), thumbs-up ``[6]``,
  developer reply text ``[7][1]`` and time ``[7][2][0]``, app version ``[10]``.
- facundoolano/google-play-scraper (npm), ``lib/reviews.js``: reviews at ``[0]``, token at ``[1][1]``.

A page with a token is ``[reviews, [null, token], null]`` so both readers find the token where they
look; the last page is ``[reviews, null]``, where both find none (the JS reader reads ``[1][1]`` of
null; the Python one reads ``[-2][-1]`` = the last review, a list). The brand, app and people are
fictional (the demo's Northwind Tea). The records and envelopes are written by
crawlers/sample/render_googleplay.py, which the replay server serves too.
``test_sample_is_read_by_google_play_scraper_itself`` checks the sample against the package's own
parser. Swap these for a capture when one lands in ../shared.
"""

from __future__ import annotations

import json
from typing import Any

from crawlers.sample.render_googleplay import PREFIX, review_record, reviews_answer, unknown_app_answer

APP_ID = "com.northwind.tea"


def review(review_id: str, name: str, stars: int | None, text: str | None, at: int, **kw: Any) -> list[Any]:
    """One raw review record at the positions google-play-scraper reads (version 4.2.0 unless given)."""
    return review_record(review_id, name, stars, text, at, **{"version": "4.2.0", **kw})


def answer(reviews: list[Any], token: str | None = None) -> bytes:
    """A whole batchexecute answer for one page (``token``: the next page's continuation token)."""
    return reviews_answer(reviews, token)


def rpc_payload_of(body: bytes) -> Any:
    """The inner payload of a reviews answer (None when the envelope has none), as the package reads it."""
    envelope = json.loads(body.removeprefix(PREFIX))[0]
    assert envelope[:2] == ["wrb.fr", "oCPfdb"]
    return json.loads(envelope[2]) if envelope[2] is not None else None


def error_answer(code: int = 3) -> bytes:
    """The envelope Google sends with no payload (an unknown app id, as scrapers report it)."""
    return unknown_app_answer(code)


GATEWAY_ERROR = (
    PREFIX
    + json.dumps(
        [
            [
                "er",
                None,
                None,
                None,
                None,
                429,
                None,
                None,
                None,
                8,
                "com.google.play.gateway.proto.PlayGatewayError",
            ]
        ]
    ).encode()
)

# 2026-11-20 09:00:00 UTC and on, one review an hour back in time (newest first)
T0 = 1_795_165_200

PAGE_1 = [
    review(
        "gp:AOqpTOGx1northwindchai",
        "Dana Whitfield",
        1,
        "Northwind chai arrived crushed AGAIN and support never answered. Third time this month 😡",
        T0,
        thumbs=41,
        version="4.2.0",
    ),
    review(
        "gp:AOqpTOGx2<script>alert(1)</script>",
        "<b>Mallory</b>",
        2,
        'App crashes at checkout <img src=x onerror="alert(1)"> [click](javascript:alert(1))',
        T0 - 3600,
        thumbs=3,
    ),
    review(
        "gp:AOqpTOGx3anonymous",
        "A Google user",
        4,
        "Good tea, slow delivery.",
        T0 - 7200,
        version=None,
    ),
]
PAGE_2 = [
    review(
        "gp:AOqpTOGx4reply",
        "Sam Okafor",
        2,
        "Subscription charged twice.",
        T0 - 10800,
        thumbs=7,
        reply=("Sorry Sam, we refunded the second charge. – Northwind Care", T0 - 9000),
    ),
    review("gp:AOqpTOGx5ratingonly", "Priya N", 5, None, T0 - 14400),
    review("gp:AOqpTOGx6badstars", "Broken Record", 7, "stars out of range", T0 - 18000),
]
PAGE_DE = [
    review(
        "gp:AOqpTOGxde1",
        "Jürgen Groß",
        1,
        "Die App stürzt ständig ab – Bestellung weg. Sehr ärgerlich!",
        T0 - 600,
        version="4.1.9",
    ),
]
TOKEN = "CsEBCrsBAQJ8Rk1ndGVzdC1jb250aW51YXRpb24tdG9rZW4tZm9yLXBhZ2UtMg"
