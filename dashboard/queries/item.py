"""Everything an agent needs on one mention, so nobody asks the customer to repeat themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
    )


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
