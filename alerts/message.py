"""What an alert says, independent of the channel that carries it.

An `Alert` row's ``payload`` is a snapshot of the mention (or incident, or digest) taken in the
transaction that wrote the row, so a message says what was true when the alert was raised. A
`Notice` is one message: one alert, or several alerts of a storm folded into one with a count.

Payload keys of a mention alert (all optional except ``mention_id``): ``mention_id``, ``severity``,
``source``, ``source_kind``, ``author``, ``reach``, ``title``, ``excerpt``, ``reasons`` (why flagged),
``sentiment``, ``confidence``, ``rating``, ``viral_score``, ``accelerating``, ``url`` (the original
post), ``link`` (the item in the dashboard), ``incident_id``, ``incident_title``, ``rule``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from alerts.render.digest_table import digest_lines
from bounceback.types import Severity

EXCERPT_CHARS = 400
MAX_ITEMS_SHOWN = 5
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: object, limit: int | None = None) -> str:
    """Text without control characters (NUL, escape sequences …), cut to ``limit`` characters."""
    text = _CONTROL.sub("", "" if value is None else str(value)).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def item_link(dashboard_url: str, mention_id: int) -> str:
    """The mention's page in the dashboard (page ``item``, query parameter ``id``)."""
    return f"{dashboard_url.rstrip('/')}/item?id={int(mention_id)}"


def severity_rank(severity: str | None) -> int:
    """critical 4 … low 1; unknown or missing 0."""
    try:
        return Severity(severity or "").rank
    except ValueError:
        return 0


@dataclass(frozen=True)
class Notice:
    """One message to send: the leading alert's payload plus any alerts folded into it."""

    kind: str  # mention, incident, escalation, digest, test, ops
    items: list[dict[str, Any]]
    count: int = 1
    severity: str | None = None
    dedup_keys: list[str] = field(default_factory=list)
    group_key: str | None = None

    @property
    def lead(self) -> dict[str, Any]:
        """The payload the message is mostly about (the most severe alert)."""
        return self.items[0] if self.items else {}

    @property
    def grouped(self) -> bool:
        """True when several alerts were folded into this message."""
        return self.count > 1

    @property
    def idempotency_key(self) -> str:
        """A stable key for the message (its leading alert's dedup key)."""
        return self.dedup_keys[0] if self.dedup_keys else ""


def headline(notice: Notice) -> str:
    """The one-line title of the message (plain text, not yet escaped for any channel)."""
    lead = notice.lead
    sev = (notice.severity or lead.get("severity") or "").upper()
    source = clean_text(lead.get("source"), 80) or "unknown source"
    if notice.kind == "digest":
        return clean_text(f"bounceback {lead.get('period', '')} digest: {lead.get('label', '')}", 200)
    if notice.kind == "test":
        return "bounceback test message"
    if notice.kind == "ops":
        return clean_text(lead.get("title") or "bounceback notice", 200)
    if notice.kind == "incident":
        title = clean_text(lead.get("incident_title"), 120)
        return f"{sev} new incident #{lead.get('incident_id')}: {title}".strip()
    if notice.grouped:
        if lead.get("incident_id"):
            title = clean_text(lead.get("incident_title"), 100)
            return f"{sev} {notice.count} complaints in incident #{lead['incident_id']}: {title}".strip()
        return f"{sev} {notice.count} complaints from {source}".strip()
    if notice.kind == "escalation":
        return f"{sev} unclaimed past SLA: complaint on {source}".strip()
    if lead.get("accelerating"):
        return f"{sev} spreading fast: complaint on {source}".strip()
    return f"{sev} complaint on {source}".strip()


def trend(item: dict[str, Any]) -> str:
    """'viral score 0.82, accelerating' or ''."""
    parts = []
    if item.get("viral_score") is not None:
        parts.append(f"viral score {float(item['viral_score']):.2f}")
    if item.get("accelerating"):
        parts.append("accelerating")
    return ", ".join(parts)


def facts(item: dict[str, Any]) -> list[tuple[str, str]]:
    """Labelled lines about one mention (plain text; each renderer escapes them its own way)."""
    rows: list[tuple[str, str]] = []
    if item.get("severity"):
        rows.append(("Severity", str(item["severity"]).upper()))
    source = clean_text(item.get("source"), 120)
    if source:
        kind = clean_text(item.get("source_kind"), 40)
        rows.append(("Source", f"{source} ({kind})" if kind else source))
    author = clean_text(item.get("author"), 120)
    if author or item.get("reach") is not None:
        reach = f"reach {int(item['reach']):,}" if item.get("reach") is not None else ""
        rows.append(("Author", ", ".join(p for p in (author or "unknown", reach) if p)))
    if item.get("reasons"):
        rows.append(("Why flagged", clean_text("; ".join(str(r) for r in item["reasons"]), 300)))
    sentiment = clean_text(item.get("sentiment"), 20)
    if sentiment:
        conf = item.get("confidence")
        rows.append(("Sentiment", f"{sentiment} ({float(conf):.0%})" if conf is not None else sentiment))
    if item.get("rating") is not None:
        rows.append(("Rating", f"{float(item['rating']):g}"))
    if trend(item):
        rows.append(("Trend", trend(item)))
    if item.get("incident_id"):
        rows.append(("Incident", f"#{item['incident_id']} {clean_text(item.get('incident_title'), 100)}"))
    if item.get("sla_due_at"):
        rows.append(("SLA due", str(item["sla_due_at"])))
    return rows


def excerpt(item: dict[str, Any]) -> str:
    """The quoted text of the mention (title and body), cleaned and cut."""
    title = clean_text(item.get("title"), 200)
    body = clean_text(item.get("excerpt") or item.get("text"), EXCERPT_CHARS)
    return f"{title}\n{body}".strip() if title else body


def shown_items(notice: Notice) -> list[dict[str, Any]]:
    """The items a grouped message lists (the most severe first, at most MAX_ITEMS_SHOWN)."""
    return notice.items[:MAX_ITEMS_SHOWN]


def plain_text(notice: Notice) -> str:
    """The whole message as plain text (email text part, webhook ``text``, Apprise body)."""
    lines = [headline(notice), ""]
    if notice.kind == "digest":
        return "\n".join([*lines, *digest_lines(notice.lead)])
    if notice.kind in ("test", "ops"):
        return "\n".join([*lines, clean_text(notice.lead.get("text"), 2000)])
    for item in shown_items(notice):
        lines.extend(f"{label}: {value}" for label, value in facts(item))
        text = excerpt(item)
        if text:
            lines.extend("> " + line for line in text.splitlines())
        if item.get("link"):
            lines.append(f"Open: {item['link']}")
        if item.get("url"):
            lines.append(f"Original: {clean_text(item['url'], 500)}")
        lines.append("")
    if notice.count > len(shown_items(notice)):
        lines.append(f"… and {notice.count - len(shown_items(notice))} more in this group.")
    return "\n".join(lines).rstrip() + "\n"
