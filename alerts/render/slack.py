"""Slack mrkdwn: scraped text is escaped so ``<!channel>``, ``<@U123>`` and ``<http://x|y>`` stay inert.

Slack treats only ``&``, ``<`` and ``>`` as control characters in message text; escaping those three
turns every special sequence into literal text. Our own links are built from trusted settings and
URL-quoted so a scraped URL cannot close the ``<url|label>`` form early.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from alerts.message import Notice, excerpt, facts, headline, shown_items
from alerts.render.digest_table import summary_rows, top_rows

MAX_BLOCK_TEXT = 2900  # Slack's limit for a section's text is 3000


def escape(text: str) -> str:
    """Escape Slack's three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """``<url|label>`` for an http(s) URL (quoted so it cannot break out); escaped text otherwise."""
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        scheme = ""
    if scheme not in ("http", "https"):
        return escape(url)
    safe = quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")
    safe = safe.replace("&", "&amp;").replace("|", "%7C")
    return f"<{safe}|{escape(label).replace('|', '/')}>"


def _quote(text: str) -> str:
    return "\n".join("&gt; " + escape(line) for line in text.splitlines())


def _item_text(item: dict[str, Any]) -> str:
    lines = [f"*{escape(label)}:* {escape(value)}" for label, value in facts(item)]
    text = excerpt(item)
    if text:
        lines.append(_quote(text))
    links = []
    if item.get("link"):
        links.append(link(str(item["link"]), "Open in bounceback"))
    if item.get("url"):
        links.append(link(str(item["url"]), "original post"))
    if links:
        lines.append(" · ".join(links))
    return "\n".join(lines)[:MAX_BLOCK_TEXT]


def render(notice: Notice) -> dict[str, Any]:
    """``{"text": fallback, "blocks": [...], unfurl off}`` for chat.postMessage or an incoming webhook."""
    title = escape(headline(notice))
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}]
    if notice.kind == "digest":
        table = "\n".join(f"*{escape(k)}:* {escape(v)}" for k, v in summary_rows(notice.lead))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": table[:MAX_BLOCK_TEXT]}})
        for item in top_rows(notice.lead):
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _item_text(item)}})
    elif notice.kind in ("test", "ops"):
        body = escape(str(notice.lead.get("text", "")))[:MAX_BLOCK_TEXT]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body or " "}})
    else:
        for item in shown_items(notice):
            blocks.append({"type": "divider"})
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _item_text(item)}})
        more = notice.count - len(shown_items(notice))
        if more > 0:
            note = f"… and {more} more in this group"
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    # no link previews: Slack would fetch whatever URL a scraped post carries and show its content
    return {"text": title, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}
