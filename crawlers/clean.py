"""Turn a spider's `MentionItem` into safe column values, parking what cannot be trusted.

Scraped input is hostile: control characters and NULs (PostgreSQL refuses them) are stripped, huge
texts are cut with a visible note, lengths fit their columns, URLs must be http(s) (a ``javascript:``
link is dropped and the mention parked), counts fit a 32-bit column. Nothing is dropped silently: a
mention that cannot be trusted is stored with status ``parked`` and the reason in ``parked_reason``.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from crawlers.items import MentionItem

MAX_TEXT_CHARS = 40_000
MAX_TITLE_CHARS = 2_000
MAX_ID_CHARS = 300
MAX_URL_CHARS = 2_000
MAX_NAME_CHARS = 300
INT32_MAX = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\ufffe\uffff]")


@dataclass
class AuthorRow:
    """An author as the pipeline upserts it, unique per (platform, handle)."""

    handle: str
    display_name: str | None = None
    url: str | None = None
    followers: int | None = None


@dataclass
class PreparedMention:
    """Clean column values for one mention, ready for the batch upsert."""

    external_id: str
    values: dict[str, Any]
    engagement: dict[str, int]
    author: AuthorRow | None
    parked_reasons: list[str] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        """Hash of what a person reads (title, text, rating): a change means the post was edited."""
        return str(self.values["content_hash"])


def clean_text(value: Any, limit: int) -> tuple[str, str | None]:
    """(text, note): control characters removed, NFC, cut at ``limit`` with a visible note."""
    if value is None:
        return "", None
    text = unicodedata.normalize("NFC", _CONTROL.sub("", str(value)))
    if len(text) <= limit:
        return text, None
    note = f"truncated by bounceback: {len(text)} characters, {limit} kept"
    return f"{text[:limit]}\n\n[{note}]", note


def safe_url(value: Any) -> tuple[str | None, str | None]:
    """(url, problem): only http(s) URLs of sane length are kept."""
    if value in (None, ""):
        return None, None
    url = _CONTROL.sub("", str(value)).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, "invalid URL"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None, f"unsafe URL scheme {parts.scheme or '(none)'!r} dropped"
    if len(url) > MAX_URL_CHARS:
        return None, f"URL longer than {MAX_URL_CHARS} characters dropped"
    return url, None


def clamp_count(value: int | None) -> int | None:
    """A count that fits a 32-bit integer column."""
    if value is None:
        return None
    return max(-INT32_MAX, min(INT32_MAX, int(value)))


def content_hash(title: str | None, text: str, rating: float | None) -> str:
    """sha256 of the readable content."""
    raw = f"{title or ''}\n{text}\n{'' if rating is None else rating}"
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _rating(value: Any, reasons: list[str]) -> float | None:
    if value is None:
        return None
    try:
        rating = float(value)
    except (TypeError, ValueError):
        reasons.append(f"rating {str(value)[:40]!r} is not a number")
        return None
    if math.isnan(rating) or math.isinf(rating) or not 0 <= rating <= 10:
        reasons.append(f"rating {str(value)[:40]!r} out of range")
        return None
    return rating


def _author(item: MentionItem) -> AuthorRow | None:
    handle, _ = clean_text(item.author_handle, MAX_NAME_CHARS)
    handle = handle.strip()
    if not handle:
        return None
    name, _ = clean_text(item.author_name, MAX_NAME_CHARS)
    url, _ = safe_url(item.author_url)
    followers = clamp_count(item.author_followers)
    return AuthorRow(handle=handle, display_name=name.strip() or None, url=url, followers=followers)


def prepare(item: MentionItem, *, watch_id: int | None, match_reason: str) -> PreparedMention:
    """Clean ``item`` into column values; anything untrustworthy is parked with its reason."""
    reasons: list[str] = []
    text, text_note = clean_text(item.text, MAX_TEXT_CHARS)
    title, _ = clean_text(item.title, MAX_TITLE_CHARS)
    rating = _rating(item.rating, reasons)
    if not text.strip() and not title.strip() and rating is None:
        reasons.append("empty text")  # a star rating with no words is still a review, kept
    url, url_problem = safe_url(item.url)
    if url_problem:
        reasons.append(url_problem)
    digest = content_hash(title or None, text, rating)
    external_id, _ = clean_text(item.external_id, 10_000)
    external_id = external_id.strip()
    if not external_id:
        reasons.append("the platform gave no id")
        external_id = f"content:{digest}"
    elif len(external_id) > MAX_ID_CHARS:
        external_id = "sha256:" + hashlib.sha256(external_id.encode()).hexdigest()
    language = (item.language or "").strip().lower()[:16] or None
    published = item.published_at if isinstance(item.published_at, datetime) else None
    raw_ref, _ = clean_text(item.raw_ref, MAX_URL_CHARS)
    values: dict[str, Any] = {
        "url": url,
        "title": title or None,
        "text": text,
        "rating": rating,
        "language": language,
        "published_at": published,
        "raw_ref": raw_ref or None,
        "content_hash": digest,
        "match_reason": match_reason,
        "watch_id": watch_id,
    }
    if text_note:
        values["match_reason"] = f"{match_reason}; {text_note}"
    engagement = {
        k: v for k, v in ((k, clamp_count(v)) for k, v in item.engagement().items()) if v is not None
    }
    return PreparedMention(external_id, values, engagement, _author(item), reasons)
