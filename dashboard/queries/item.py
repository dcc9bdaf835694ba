"""Everything an agent needs on one mention, so nobody asks the customer to repeat themselves."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, or_, select
from sqlmodel import Session, col

from bounceback.db import session
from bounceback.errors import NotFound
from bounceback.tables import (
    Activity,
    Author,
    Correction,
    EngagementSnapshot,
    Incident,
    Mention,
    Score,
    Source,
    Watch,
)
from bounceback.types import CLOSED
from dashboard.queries.common import PRODUCT_KEY, effective_sla_due, get_app_setting, sla_minutes

OTHER_MENTIONS_LIMIT = 50
COPIES_LIMIT = 20
EXTRA_VALUE_CHARS = 300
TRIMMED_KEY = "_trimmed"
# what spiders keep in Mention.extra, as an agent reads it (unknown keys are shown generically)
EXTRA_LABELS = {
    "subreddit": "Subreddit",
    "over_18": "Marked NSFW",
    "country": "Country",
    "app_version": "App version",
    "lang": "Review language",
    "kind": "Type",
    "story_id": "Story",
    "link": "Linked page",
    "comments": "Comments",
}
_CAP = re.compile(r"over the (\d+)-byte cap")


@dataclass(frozen=True)
class ContextField:
    """One fact the source gave beside the text; ``url`` only when it is a plain http(s) link."""

    label: str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class CompanyReply:
    """The company's public answer on the review site (Trustpilot, Google Play)."""

    text: str
    published_at: datetime | None
    published_raw: str | None = None


@dataclass(frozen=True)
class SourceContext:
    """``Mention.extra`` made readable: the company's reply, labelled facts, and what was trimmed."""

    reply: CompanyReply | None = None
    fields: list[ContextField] = field(default_factory=list)
    trimmed: str | None = None

    @property
    def empty(self) -> bool:
        """Nothing worth a panel."""
        return self.reply is None and not self.fields and self.trimmed is None


@dataclass(frozen=True)
class Copy:
    """The same post stored through another source (see bounceback.identity)."""

    id: int
    source_name: str
    url: str | None


@dataclass(frozen=True)
class AuthorMention:
    """Another mention by the same person (same account, or the same handle elsewhere)."""

    id: int
    source_name: str
    platform: str
    when: datetime | None
    title: str
    sentiment: str | None
    status: str
    outcome: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    same_account: bool


@dataclass
class ItemView:
    """A mention with its context: source, author, scores, engagement, activity, history."""

    mention: Mention
    source: Source
    author: Author | None
    watch: Watch | None
    incident: Incident | None
    scores: list[Score]
    snapshots: list[EngagementSnapshot]
    activity: list[Activity]
    corrections: list[Correction]
    other_mentions: list[AuthorMention] = field(default_factory=list)
    sla_due_at: datetime | None = None
    product: str = "our service"
    original: Copy | None = None  # set on a duplicate: the first copy, which is triaged
    copies: list[Copy] = field(default_factory=list)  # the other sources' copies of this post

    @property
    def context(self) -> SourceContext:
        """What the spider kept in ``extra``, readable."""
        return source_context(self.mention.extra)

    @property
    def earlier_resolutions(self) -> list[AuthorMention]:
        """The author's earlier mentions that were already resolved or dismissed."""
        closed = {s.value for s in CLOSED}
        return [m for m in self.other_mentions if m.status in closed]

    @property
    def author_name(self) -> str:
        """How to address the customer: display name, else handle, else "there"."""
        if self.author is None or self.author.erased:
            return "there"
        return (self.author.display_name or self.author.handle or "there").strip() or "there"

    @property
    def safe_url(self) -> str | None:
        """The original's URL if it is plain http(s), else None (never a javascript: link)."""
        return safe_http_url(self.mention.url)


def safe_http_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host and no control characters or spaces."""
    if not url:
        return None
    url = url.strip()
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def load_item(mention_id: int, *, engine: Engine | None = None) -> ItemView:
    """The mention ``mention_id`` with everything around it; raises NotFound."""
    with session(engine, readonly=True) as sess:
        mention = sess.get(Mention, mention_id)
        if mention is None:
            raise NotFound(f"mention {mention_id} does not exist")
        source = sess.get(Source, mention.source_id)
        assert source is not None
        author = sess.get(Author, mention.author_id) if mention.author_id else None
        watch = sess.get(Watch, mention.watch_id) if mention.watch_id else None
        incident = sess.get(Incident, mention.incident_id) if mention.incident_id else None
        scores = list(
            sess.execute(
                select(Score).where(col(Score.mention_id) == mention_id).order_by(col(Score.created_at))
            ).scalars()
        )
        snapshots = list(
            sess.execute(
                select(EngagementSnapshot)
                .where(col(EngagementSnapshot.mention_id) == mention_id)
                .order_by(col(EngagementSnapshot.taken_at))
            ).scalars()
        )
        activity = list(
            sess.execute(
                select(Activity).where(col(Activity.mention_id) == mention_id).order_by(col(Activity.id))
            ).scalars()
        )
        corrections = list(
            sess.execute(
                select(Correction)
                .where(col(Correction.mention_id) == mention_id)
                .order_by(col(Correction.id))
            ).scalars()
        )
        others = _other_mentions(sess, mention, author)
        original, copies = _copies(sess, mention)
    product = watch.name if watch else str(get_app_setting(PRODUCT_KEY, "our service", engine=engine))
    return ItemView(
        mention=mention,
        source=source,
        author=author,
        watch=watch,
        incident=incident,
        scores=scores,
        snapshots=snapshots,
        activity=activity,
        corrections=corrections,
        other_mentions=others,
        sla_due_at=effective_sla_due(
            mention.sla_due_at, mention.severity, mention.flagged_at, sla_minutes(engine=engine)
        ),
        product=product,
        original=original,
        copies=copies,
    )


def _copies(sess: Session, mention: Mention) -> tuple[Copy | None, list[Copy]]:
    """(the original, if ``mention`` is a duplicate; the other copies of the same post)."""
    first_id = mention.duplicate_of_id or mention.id
    query = (
        select(col(Mention.id), col(Mention.url), col(Source.name))
        .join(Source, col(Source.id) == col(Mention.source_id))
        .where(
            or_(col(Mention.id) == first_id, col(Mention.duplicate_of_id) == first_id),
            col(Mention.id) != mention.id,
        )
        .order_by(col(Mention.id))
        .limit(COPIES_LIMIT + 1)
    )
    original, copies = None, []
    for copy_id, url, source_name in sess.execute(query).all():
        found = Copy(id=copy_id, source_name=source_name, url=safe_http_url(url))
        if copy_id == mention.duplicate_of_id:
            original = found
        else:
            copies.append(found)
    return original, copies[:COPIES_LIMIT]


def source_context(extra: dict[str, Any] | None) -> SourceContext:
    """``Mention.extra`` as labelled plain strings (never markup: the page escapes them)."""
    if not isinstance(extra, dict):
        return SourceContext()
    reply = _company_reply(extra.get("company_reply"))
    skip = {TRIMMED_KEY, "company_reply"} if reply is not None else {TRIMMED_KEY}
    fields = []
    for key, value in extra.items():
        if key in skip:
            continue
        shown = _extra_field(str(key), value)
        if shown is not None:
            fields.append(shown)
    return SourceContext(reply=reply, fields=fields, trimmed=_trimmed(extra.get(TRIMMED_KEY)))


def _company_reply(value: Any) -> CompanyReply | None:
    if not isinstance(value, dict) or not str(value.get("text") or "").strip():
        return None
    raw = str(value.get("published_at") or "").strip() or None
    when = None
    if raw:
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            when = None
    return CompanyReply(text=str(value["text"]), published_at=when, published_raw=raw)


def _extra_field(key: str, value: Any) -> ContextField | None:
    if value is None or value == "" or value == [] or value == {}:
        return None
    label = EXTRA_LABELS.get(key) or key.replace("_", " ").strip().capitalize() or "?"
    if key == "over_18":
        return ContextField(label, "yes") if value is True else None
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = str(value)
    if key == "subreddit":
        text = f"r/{text}"
    elif key == "country":
        text = text.upper()
    text = text if len(text) <= EXTRA_VALUE_CHARS else text[: EXTRA_VALUE_CHARS - 1] + "…"
    return ContextField(label, text, safe_http_url(str(value)) if isinstance(value, str) else None)


def _trimmed(note: Any) -> str | None:
    """What ``_trimmed`` says, led by "cut at N KB" when the size cap was hit."""
    if not note:
        return None
    text = str(note).removeprefix("trimmed by bounceback: ")
    cap = _CAP.search(text)
    return f"cut at {int(cap.group(1)) // 1024} KB ({text})" if cap else text


def _other_mentions(sess: Session, mention: Mention, author: Author | None) -> list[AuthorMention]:
    """The author's other mentions on any source: same account, or the same handle on another platform."""
    if author is None or author.erased:
        return []
    same_handle = select(col(Author.id)).where(
        func.lower(col(Author.handle)) == author.handle.lower(), col(Author.erased).is_(False)
    )
    query = (
        select(Mention, col(Source.name), col(Author.platform), col(Author.id))
        .join(Source, col(Source.id) == col(Mention.source_id))
        .join(Author, col(Author.id) == col(Mention.author_id))
        .where(
            or_(col(Mention.author_id) == author.id, col(Mention.author_id).in_(same_handle)),
            col(Mention.id) != mention.id,
        )
        .order_by(func.coalesce(col(Mention.published_at), col(Mention.fetched_at)).desc())
        .limit(OTHER_MENTIONS_LIMIT)
    )
    out = []
    for other, source_name, platform, author_id in sess.execute(query).all():
        text = " ".join((other.title or other.text or "").split())
        out.append(
            AuthorMention(
                id=other.id,
                source_name=source_name,
                platform=platform,
                when=other.published_at or other.fetched_at,
                title=text[:160],
                sentiment=other.sentiment,
                status=other.status,
                outcome=other.outcome,
                resolved_by=other.resolved_by,
                resolved_at=other.resolved_at,
                same_account=author_id == author.id,
            )
        )
    return out


def engagement_series(snapshots: list[EngagementSnapshot]) -> list[tuple[datetime, int]]:
    """Total engagement (likes + replies + reposts + score) at each snapshot, for the sparkline."""
    return [(s.taken_at, s.likes + s.replies + s.reposts + s.score) for s in snapshots]
