"""Turn a spider's `MentionItem` into safe column values, parking what cannot be trusted.

Scraped input is hostile: control characters and NULs (PostgreSQL refuses them) are stripped, huge
texts are cut with a visible note, lengths fit their columns, URLs must be http(s) (a ``javascript:``
link is dropped and the mention parked), counts fit a 32-bit column. Nothing is dropped silently: a
mention that cannot be trusted is stored with status ``parked`` and the reason in ``parked_reason``.
A spider's ``extra`` becomes plain JSON of bounded size (strings cleaned and cut, nesting and lengths
limited, the biggest keys dropped past ``MAX_EXTRA_BYTES``); what was cut is said in its ``_trimmed`` key.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from crawlers.items import MentionItem

MAX_TEXT_CHARS = 40_000
MAX_TITLE_CHARS = 2_000
MAX_ID_CHARS = 300
MAX_URL_CHARS = 2_000
MAX_NAME_CHARS = 300
INT32_MAX = 2**31 - 1
MAX_EXTRA_BYTES = 65_536  # one mention's extra as stored: JSON with non-ASCII escaped (an emoji = 12)
MAX_EXTRA_STRING = 4_000
MAX_EXTRA_ITEMS = 50  # keys of an object, items of a list
MAX_EXTRA_DEPTH = 4
TRIMMED_KEY = "_trimmed"
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


def _extra_value(value: Any, depth: int, notes: set[str]) -> Any:
    """``value`` as plain JSON: cleaned strings, finite numbers, bounded lists and objects."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value.bit_length() <= 63:
            return value
        notes.add("integers beyond 64 bits dropped")
        return None
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        notes.add("non-finite numbers dropped")
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list | tuple | set | frozenset):
        if depth >= MAX_EXTRA_DEPTH:
            notes.add(f"nesting deeper than {MAX_EXTRA_DEPTH} dropped")
            return None
        pairs = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        if len(pairs) > MAX_EXTRA_ITEMS:
            notes.add(f"collections cut to {MAX_EXTRA_ITEMS} items")
            pairs = pairs[:MAX_EXTRA_ITEMS]
        if isinstance(value, dict):
            return {_extra_key(k): _extra_value(v, depth + 1, notes) for k, v in pairs}
        return [_extra_value(v, depth + 1, notes) for _, v in pairs]
    text, note = clean_text(value, MAX_EXTRA_STRING)
    if note:
        notes.add(f"strings cut to {MAX_EXTRA_STRING} characters")
    return text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"


def _extra_key(key: Any) -> str:
    text, _ = clean_text(key, 200)
    return text.encode("utf-8", "replace").decode("utf-8")


def _json_size(value: Any) -> int:
    return len(json.dumps(value))  # as SQLAlchemy's JSON type writes it on SQLite and PostgreSQL


def clean_extra(extra: Any) -> dict[str, Any]:
    """A spider's ``extra`` as plain JSON of at most ``MAX_EXTRA_BYTES``; what was cut is in ``_trimmed``.

    Past the size cap the biggest top-level keys are dropped first, so the small useful ones (a
    company reply, an app version) survive a huge one.
    """
    if not extra:
        return {}
    notes: set[str] = set()
    if not isinstance(extra, dict):
        extra = {"value": extra}
        notes.add(f"a {type(extra['value']).__name__} was kept under 'value'")
    out: dict[str, Any] = _extra_value(extra, 0, notes)
    out.pop(TRIMMED_KEY, None)
    size = _json_size(out)
    if size > MAX_EXTRA_BYTES:
        dropped = []
        for key in sorted(out, key=lambda k: _json_size(out[k]), reverse=True):
            del out[key]
            dropped.append(key)
            if _json_size(out) <= MAX_EXTRA_BYTES - 2_000:  # room for the note itself
                break
        names = ", ".join(repr(k[:40]) for k in dropped[:5]) + (" …" if len(dropped) > 5 else "")
        notes.add(f"{size} bytes over the {MAX_EXTRA_BYTES}-byte cap: dropped {names}")
    if notes:
        out[TRIMMED_KEY] = "trimmed by bounceback: " + "; ".join(sorted(notes))
    return out


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
        "extra": clean_extra(item.extra),
    }
    if text_note:
        values["match_reason"] = f"{match_reason}; {text_note}"
    engagement = {
        k: v for k, v in ((k, clamp_count(v)) for k, v in item.engagement().items()) if v is not None
    }
    return PreparedMention(external_id, values, engagement, _author(item), reasons)


def parse_time(value: Any) -> datetime | None:
    """A timezone-aware UTC time from an ISO 8601 string or epoch seconds; None if unparseable."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), UTC)
        text = str(value).strip().replace("Z", "+00:00")
        when = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
