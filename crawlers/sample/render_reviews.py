"""Sample reviews and articles as the App Store RSS JSON, a Trustpilot page, schema.org product
pages (JSON-LD and microdata) and RSS/Atom feeds, shaped like the captures in ``../shared/fixtures``.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from crawlers.sample.render_social import Seen, iso_z, stable_number

APP_ID = "1612345678"
CUPERTINO = timezone(timedelta(hours=-7))  # Apple stamps reviews in Pacific time
APP_NAME = "Northwind Coffee: Order Ahead"
COMPANY = "northwindcoffee.example"
PRODUCT_NAMES = {
    "house-blend": "Northwind House Blend, 1 kg beans",
    "travel-mug": "Northwind Travel Mug 350 ml",
    "gift-card": "Northwind Gift Card",
}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _label(value: Any) -> dict[str, Any]:
    return {"label": value}


# --- App Store customer reviews RSS (JSON) ------------------------------------------------------


def appstore_id(seen: Seen) -> str:
    """Review id, growing with time."""
    return str(11_800_000_000 + seen.mention.rank * 37)


def appstore_feed(
    reviews: list[Seen], *, country: str, page: int, last_page: int, base: str
) -> dict[str, Any]:
    """One page of ``/{cc}/rss/customerreviews/page=N/id=ID/sortby=mostrecent/json``."""

    def page_url(n: int, fmt: str = "xml") -> str:
        return f"{base}/{country}/rss/customerreviews/page={n}/id={APP_ID}/sortby=mostrecent/{fmt}?l=en"

    entries = []
    for seen in reviews:
        m = seen.mention
        entries.append(
            {
                "author": {
                    "uri": _label(
                        f"https://itunes.apple.com/{country}/reviews/id{stable_number(m.author.handle, 10)}"
                    ),
                    "name": _label(m.author.handle),
                    "label": "",
                },
                "updated": _label(seen.published.astimezone(CUPERTINO).isoformat(timespec="seconds")),
                "im:rating": _label(str(m.rating or 3)),
                "im:version": _label(m.extra.get("version", "4.2.0")),
                "id": _label(appstore_id(seen)),
                "title": _label(m.title),
                "content": {"label": m.text, "attributes": {"type": "text"}},
                "link": {
                    "attributes": {
                        "rel": "related",
                        "href": f"https://itunes.apple.com/{country}/review?id={APP_ID}&type=Purple%20Software",
                    }
                },
                "im:voteSum": _label(str(m.engagement(seen.hours)["likes"])),
                "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
                "im:voteCount": _label(str(m.engagement(seen.hours)["likes"])),
            }
        )
    has_next = page < last_page
    links = [
        {
            "attributes": {
                "rel": "alternate",
                "type": "text/html",
                "href": f"https://apps.apple.com/{country}/app/id{APP_ID}",
            }
        },
        {"attributes": {"rel": "self", "href": page_url(page, "json")}},
        {"attributes": {"rel": "first", "href": page_url(1)}},
        {"attributes": {"rel": "last", "href": page_url(last_page)}},
        {"attributes": {"rel": "previous", "href": page_url(max(1, page - 1))}},
        {"attributes": {"rel": "next", "href": page_url(page + 1) if has_next else ""}},
    ]
    feed: dict[str, Any] = {
        "author": {"name": _label("iTunes Store"), "uri": _label("http://www.apple.com/itunes/")},
        "updated": _label(iso_z(datetime.now(UTC), millis=False)),
        "rights": _label("Copyright 2008 Apple Inc."),
        "title": _label("iTunes Store: Customer Reviews"),
        "icon": _label("http://itunes.apple.com/favicon.ico"),
        "link": links,
        "id": _label(page_url(page, "json")),
    }
    if len(entries) == 1:
        feed["entry"] = entries[0]  # Apple sends a lone entry as an object, not a list
    elif entries:
        feed["entry"] = entries
    return {"feed": feed}


APPSTORE_PAGE_LIMIT_TEXT = "CustomerReviews RSS page depth is limited to 10"


# --- Trustpilot ---------------------------------------------------------------------------------


def trustpilot_id(seen: Seen) -> str:
    """24-hex review id, growing with time."""
    return f"{0x66A000000000000000000000 + seen.mention.rank * 4099:024x}"


def _trustpilot_review(seen: Seen) -> dict[str, Any]:
    m = seen.mention
    reply = None
    if m.extra.get("reply"):
        reply = {
            "message": f"Hi {m.author.display_name.split()[0]}, we're sorry about this. "
            "Please write to care@northwindcoffee.example so we can put it right.",
            "publishedDate": iso_z(seen.published),
            "updatedDate": None,
        }
    return {
        "id": trustpilot_id(seen),
        "filtered": False,
        "pending": False,
        "text": m.text,
        "rating": m.rating or 3,
        "labels": {"merged": None, "verification": {"isVerified": False, "verificationSource": "invitation"}},
        "title": m.title,
        "likes": m.engagement(seen.hours)["likes"],
        "dates": {
            "experiencedDate": iso_z(seen.published),
            "publishedDate": iso_z(seen.published),
            "updatedDate": None,
        },
        "report": None,
        "hasUnhandledReports": False,
        "consumer": {
            "id": f"{stable_number(m.author.handle, 20):024x}",
            "displayName": m.author.display_name,
            "imageUrl": "",
            "numberOfReviews": 1 + stable_number(m.author.handle, 2) % 9,
            "countryCode": m.extra.get("country", "US"),
            "hasImage": False,
            "isVerified": False,
        },
        "reply": reply,
        "consumersReviewCountOnSameDomain": 1,
        "productReviews": [],
        "language": m.language,
        "location": None,
    }


def trustpilot_page(reviews: list[Seen], *, page: int, total: int, per_page: int, base: str) -> str:
    """A company review page with its ``__NEXT_DATA__`` JSON, as trustpilot.com serves it."""
    total_pages = max(1, -(-total // per_page))
    stars = [sum(1 for s in reviews if s.mention.rating == n) for n in range(1, 6)]
    data = {
        "props": {
            "pageProps": {
                "pageUrl": f"{base}/review/{COMPANY}",
                "businessUnit": {
                    "id": "61700a9dca6e77f38925e999",
                    "displayName": "Northwind Coffee",
                    "identifyingName": COMPANY,
                    "numberOfReviews": total,
                    "trustScore": 3.1,
                    "websiteUrl": f"https://{COMPANY}",
                    "stars": 3,
                },
                "reviews": [_trustpilot_review(s) for s in reviews],
                "filters": {
                    "totalNumberOfReviews": total,
                    "pagination": {
                        "currentPage": page,
                        "perPage": per_page,
                        "totalCount": total,
                        "totalPages": total_pages,
                    },
                    "reviewStatistics": {
                        "ratings": dict(zip(("one", "two", "three", "four", "five"), stars, strict=True))
                    },
                },
            }
        },
        "page": "/review/[businessUnit]",
        "query": {"businessUnit": COMPANY, "page": str(page)},
        "buildId": "businessunitprofile-consumersite-2.804.0",
    }
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Northwind Coffee Reviews | Read Customer Service Reviews</title></head><body>"
        f"<main><h1>Northwind Coffee</h1><p>Reviews {total}</p></main>"
        f'<script id="__NEXT_DATA__" type="application/json">{payload}</script></body></html>'
    )


# --- schema.org product pages -------------------------------------------------------------------


def schemaorg_page(product: str, reviews: list[Seen], *, base: str) -> str:
    """A shop page: JSON-LD for the house blend, microdata for the travel mug, RDFa for the gift card."""
    name = PRODUCT_NAMES.get(product, product)
    ratings = [s.mention.rating or 3 for s in reviews]
    average = round(sum(ratings) / len(ratings), 2) if ratings else 0
    if product == "gift-card":
        body = _rdfa_product(name, reviews, average)
    elif product == "travel-mug":
        items = "".join(
            '<div itemprop="review" itemscope itemtype="https://schema.org/Review">'
            f'<span itemprop="name">{html.escape(s.mention.title)}</span> by '
            f'<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">'
            f"{html.escape(s.mention.author.display_name)}</span></span>"
            f'<meta itemprop="datePublished" content="{s.published.date().isoformat()}">'
            '<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
            '<meta itemprop="worstRating" content="0">'
            f'<span itemprop="ratingValue">{((s.mention.rating or 3) - 1) * 2.5}</span>/'
            '<span itemprop="bestRating">10</span></div>'
            f'<p itemprop="reviewBody">{html.escape(s.mention.text)}</p></div>'
            for s in reviews
        )
        body = (
            '<div itemscope itemtype="https://schema.org/Product">'
            f'<h1 itemprop="name">{html.escape(name)}</h1>'
            '<div itemprop="aggregateRating" itemscope itemtype="https://schema.org/AggregateRating">'
            '<meta itemprop="worstRating" content="0">'
            f'<span itemprop="ratingValue">{round((average - 1) * 2.5, 2)}</span> out of '
            '<span itemprop="bestRating">10</span>, '
            f'<span itemprop="reviewCount">{len(reviews)}</span> reviews</div>{items}</div>'
        )
    else:
        data = {
            "@context": "https://schema.org/",
            "@type": "Product",
            "name": name,
            "sku": f"NW-{product}",
            "brand": {"@type": "Brand", "name": "Northwind Coffee"},
            "url": f"{base}/shop/products/{product}",
            "aggregateRating": {
                "@type": "AggregateRating",
                "ratingValue": average,
                "reviewCount": len(reviews),
            },
            "review": [
                {
                    "@type": "Review",
                    "author": {"@type": "Person", "name": s.mention.author.display_name},
                    "datePublished": s.published.date().isoformat(),
                    "name": s.mention.title,
                    "reviewBody": s.mention.text,
                    "inLanguage": s.mention.language,
                    "reviewRating": {
                        "@type": "Rating",
                        "ratingValue": s.mention.rating or 3,
                        "bestRating": 5,
                    },
                }
                for s in reviews
            ],
        }
        payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        body = f'<h1>{html.escape(name)}</h1><script type="application/ld+json">{payload}</script>'
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(name)}</title>'
        f"</head><body>{body}</body></html>"
    )


def _rdfa_product(name: str, reviews: list[Seen], average: float) -> str:
    items = "".join(
        '<div property="review" typeof="Review">'
        f'<h3 property="name">{html.escape(s.mention.title)}</h3>'
        f'<span property="author" typeof="Person"><span property="name">'
        f"{html.escape(s.mention.author.display_name)}</span></span>"
        f'<meta property="datePublished" content="{s.published.date().isoformat()}">'
        f'<span property="reviewRating" typeof="Rating"><span property="ratingValue">{s.mention.rating or 3}'
        '</span>/<span property="bestRating">5</span></span>'
        f'<p property="reviewBody">{html.escape(s.mention.text)}</p></div>'
        for s in reviews
    )
    return (
        f'<div vocab="https://schema.org/" typeof="Product"><h1 property="name">{html.escape(name)}</h1>'
        '<div property="aggregateRating" typeof="AggregateRating">'
        f'<span property="ratingValue">{average}</span> from <span property="reviewCount">{len(reviews)}'
        f"</span> reviews</div>{items}</div>"
    )


# --- RSS / Atom ---------------------------------------------------------------------------------


def _x(text: str) -> str:
    return escape(_XML_ILLEGAL.sub("", text))


def feed_guid(seen: Seen) -> str:
    """The entry id of a feed item."""
    return f"tag:google.com,2013:googlealerts/feed:{9_000_000_000_000 + seen.mention.rank * 7_919}"


def alerts_atom(items: list[Seen], *, base: str, updated: datetime) -> bytes:
    """A Google Alerts Atom feed: ``<b>`` around the term, links wrapped in google.com redirects."""
    entries = []
    for s in items:
        m = s.mention
        target = f"https://news{s.mention.rank % 5}.example/{s.published:%Y/%m/%d}/northwind-{m.rank}"
        link = (
            f"https://www.google.com/url?rct=j&sa=t&url={quote(target, safe=':/')}&ct=ga&usg=AFQjCN{m.rank}"
        )
        bold = html.escape(m.title).replace("Northwind Coffee", "<b>Northwind Coffee</b>")
        content = html.escape(m.text).replace("Northwind Coffee", "<b>Northwind Coffee</b>") + "&nbsp;..."
        entries.append(
            f'<entry><id>{feed_guid(s)}</id><title type="html">{_x(bold)}</title>'
            f"<link href={quoteattr(link)}></link><published>{iso_z(s.published, millis=False)}</published>"
            f"<updated>{iso_z(s.published, millis=False)}</updated>"
            f'<content type="html">{_x(content)}</content>'
            "<author><name></name></author></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>tag:google.com,2005:reader/user/00000000000000000000/state/com.google/alerts/1</id>"
        "<title>Google Alert - Northwind Coffee</title>"
        f'<link href="{base}/alerts/feeds/1/1" rel="self"></link>'
        f"<updated>{iso_z(updated, millis=False)}</updated>{''.join(entries)}</feed>"
    ).encode()


def news_rss(items: list[Seen], *, base: str, updated: datetime) -> bytes:
    """A plain RSS 2.0 feed of articles and blog posts that mention the brand."""
    out = []
    for s in items:
        m = s.mention
        link = f"https://coffee-blog.example/posts/{m.rank}"
        out.append(
            f"<item><title>{_x(m.title)}</title><link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid><pubDate>{format_datetime(s.published)}</pubDate>'
            f"<dc:creator>{_x(m.author.display_name)}</dc:creator>"
            f"<description>{_x(html.escape(m.text))}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Coffee industry news</title><link>{base}/news/</link>"
        f"<description>Articles about coffee chains</description><language>en</language>"
        f"<lastBuildDate>{format_datetime(updated)}</lastBuildDate>{''.join(out)}</channel></rss>"
    ).encode()
