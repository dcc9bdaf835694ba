"""Email: an `EmailMessage` with a plain-text part and an HTML alternative.

Header values pass through `header_value`, which folds CR/LF and other control characters into
spaces, so a hostile title or author name cannot add a header (``\\r\\nBcc: …``); the standard
library's `EmailMessage` then encodes them. Every scraped string in the HTML part goes through
`html.escape`.
"""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from alerts.message import Notice, excerpt, facts, headline, plain_text, shown_items
from alerts.render.digest_table import summary_rows, top_rows
from bounceback.types import utcnow

_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
SUBJECT_CHARS = 200


def header_value(text: str, limit: int = SUBJECT_CHARS) -> str:
    """One line, no control characters, at most ``limit`` characters: safe as a header value."""
    value = " ".join(_HEADER_UNSAFE.sub(" ", text).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _href(url: str) -> str:
    return _e(url) if url.lower().startswith(("http://", "https://")) else "#"


def _item_html(item: dict[str, Any]) -> str:
    rows = "".join(f"<tr><th align='left'>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts(item))
    quote = _e(excerpt(item)).replace("\n", "<br>")
    links = []
    if item.get("link"):
        links.append(f'<a href="{_href(str(item["link"]))}">Open in bounceback</a>')
    if item.get("url"):
        links.append(f'<a href="{_href(str(item["url"]))}">original post</a>')
    return (
        f"<table>{rows}</table>"
        f"<blockquote style='border-left:3px solid #ccc;padding-left:8px'>{quote}</blockquote>"
        f"<p>{' · '.join(links)}</p>"
    )


def html_body(notice: Notice) -> str:
    """The HTML alternative, every scraped value escaped."""
    parts = [f"<h2>{_e(headline(notice))}</h2>"]
    if notice.kind == "digest":
        rows = "".join(
            f"<tr><th align='left'>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in summary_rows(notice.lead)
        )
        parts.append(f"<table border='1' cellpadding='4' cellspacing='0'>{rows}</table>")
        top = top_rows(notice.lead)
        if top:
            parts.append("<h3>Top complaints</h3>")
            parts.extend(_item_html(item) for item in top)
    elif notice.kind in ("test", "ops"):
        parts.append(f"<p>{_e(notice.lead.get('text', ''))}</p>")
    else:
        parts.extend(_item_html(item) for item in shown_items(notice))
        more = notice.count - len(shown_items(notice))
        if more > 0:
            parts.append(f"<p>… and {more} more in this group.</p>")
    return "<!doctype html><html><body>" + "".join(parts) + "</body></html>"


def build_message(notice: Notice, sender: str, recipients: list[str]) -> EmailMessage:
    """The complete message (headers, text part, HTML alternative)."""
    msg = EmailMessage()
    msg["Subject"] = header_value(f"[bounceback] {headline(notice)}")
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain="bounceback.local")
    if notice.idempotency_key:
        msg["X-Bounceback-Alert"] = header_value(notice.idempotency_key, 300)
    msg.set_content(plain_text(notice))
    msg.add_alternative(html_body(notice), subtype="html")
    return msg
