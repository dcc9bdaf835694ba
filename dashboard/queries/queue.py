"""The care queue: open items by priority, filters, SLA countdown, "new since you looked", claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, case, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from bounceback import lifecycle
from bounceback.errors import AlreadyClaimed, BouncebackError
from bounceback.tables import Author, Incident, Source, User, Watch
from bounceback.types import ON_QUEUE, utcnow
from dashboard.queries.common import M, effective_sla_due, engine_or_default, reader, sla_minutes

S = Source.__table__  # type: ignore[attr-defined]
A = Author.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
QUEUE_STATUSES = tuple(s.value for s in ON_QUEUE)
SNIPPET_CHARS = 280
SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}


@dataclass(frozen=True)
class QueueFilters:
    """What the agent narrowed the queue to; empty tuples mean "all"."""

    sources: tuple[int, ...] = ()
    severities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    watches: tuple[int, ...] = ()
    incident_id: int | None = None
    languages: tuple[str, ...] = ()
    mine: bool = False


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue."""

    id: int
    title: str
    snippet: str
    source_name: str
    source_kind: str
    author: str
    severity: str | None
    status: str
    priority: float
    viral_score: float
    accelerating: bool
    reach: int | None
    sentiment: str | None
    confidence: float | None
    claimed_by: str | None
    flagged_at: datetime | None
    sla_due_at: datetime | None
    language: str | None
    incident_id: int | None

    def sla_left(self, now: datetime) -> timedelta | None:
        """Time until the SLA deadline (negative once breached); None without a deadline."""
        return None if self.sla_due_at is None else self.sla_due_at - now

    def is_new(self, since: datetime | None) -> bool:
        """Flagged after the agent last looked at the queue."""
        return since is None or (self.flagged_at is not None and self.flagged_at > since)


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue plus the counts shown above it."""

    rows: list[QueueRow]
    total: int
    new_count: int
    breached: int


@dataclass(frozen=True)
class Facets:
    """The choices the filter widgets offer."""

    sources: dict[int, str]
    watches: dict[int, str]
    incidents: dict[int, str]
    languages: list[str]


def _conditions(filters: QueueFilters, user: str | None) -> list[ColumnElement[Any]]:
    statuses = filters.statuses or QUEUE_STATUSES
    where: list[ColumnElement[Any]] = [M.c.status.in_(list(statuses))]
    if filters.sources:
        where.append(M.c.source_id.in_(list(filters.sources)))
    if filters.severities:
        where.append(M.c.severity.in_(list(filters.severities)))
    if filters.watches:
        where.append(M.c.watch_id.in_(list(filters.watches)))
    if filters.incident_id is not None:
        where.append(M.c.incident_id == filters.incident_id)
    if filters.languages:
        where.append(M.c.language.in_(list(filters.languages)))
    if filters.mine and user:
        where.append(M.c.claimed_by == user)
    return where


def _flag_time() -> ColumnElement[Any]:
    return func.coalesce(M.c.flagged_at, M.c.fetched_at)


def load_queue(
    filters: QueueFilters,
    *,
    user: str | None = None,
    seen_since: datetime | None = None,
    page: int = 0,
    page_size: int = 25,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> QueuePage:
    """One page of the queue, highest priority first, then nearest SLA deadline."""
    now = now or utcnow()
    eng = reader(engine)
    where = _conditions(filters, user)
    flagged = _flag_time()
    # Pick the page's ids on the narrow columns first, then fetch text and joins for those rows only.
    # Triage's priority already weighs severity, virality and reach; ties go to the worse severity,
    # then to the nearest SLA deadline.
    order = (
        M.c.priority.desc(),
        case(SEVERITY_RANK, value=M.c.severity, else_=0).desc(),
        case((M.c.sla_due_at.is_(None), 1), else_=0),
        M.c.sla_due_at.asc(),
        M.c.id.desc(),
    )
    ids = (
        select(M.c.id).where(and_(*where)).order_by(*order).offset(max(page, 0) * page_size).limit(page_size)
    ).subquery()
    query = (
        select(
            M.c.id,
            M.c.title,
            func.substr(M.c.text, 1, SNIPPET_CHARS).label("snippet"),
            S.c.name.label("source_name"),
            S.c.kind.label("source_kind"),
            func.coalesce(A.c.display_name, A.c.handle).label("author"),
            M.c.severity,
            M.c.status,
            M.c.priority,
            M.c.viral_score,
            M.c.accelerating,
            M.c.reach,
            M.c.sentiment,
            M.c.confidence,
            M.c.claimed_by,
            flagged.label("flagged_at"),
            M.c.sla_due_at,
            M.c.language,
            M.c.incident_id,
        )
        .select_from(
            ids.join(M, M.c.id == ids.c.id)
            .join(S, S.c.id == M.c.source_id)
            .outerjoin(A, A.c.id == M.c.author_id)
        )
        .order_by(*order)
    )
    sla = sla_minutes(engine=engine)
    # Past the deadline and never claimed; without a stored deadline, flagged time + the severity's SLA.
    overdue = or_(
        M.c.sla_due_at < now,
        *(
            and_(
                M.c.sla_due_at.is_(None), M.c.severity == sev, M.c.flagged_at < now - timedelta(minutes=mins)
            )
            for sev, mins in sla.items()
        ),
    )
    counts = select(
        func.count(),
        func.coalesce(func.sum(case((flagged > seen_since, 1), else_=0)), 0)
        if seen_since is not None
        else func.count(),
        func.coalesce(func.sum(case((and_(overdue, M.c.first_claimed_at.is_(None)), 1), else_=0)), 0),
    ).where(and_(*where))
    with eng.connect() as conn:
        rows = conn.execute(query).all()
        total, new_count, breached = conn.execute(counts).one()
    return QueuePage(
        rows=[_row(r, sla) for r in rows], total=int(total), new_count=int(new_count), breached=int(breached)
    )


def _row(r: Any, sla: dict[str, int]) -> QueueRow:
    snippet = " ".join((r.snippet or "").split())
    return QueueRow(
        id=r.id,
        title=" ".join((r.title or "").split()) or snippet[:120] or f"Mention {r.id}",
        snippet=snippet,
        source_name=r.source_name,
        source_kind=r.source_kind,
        author=r.author or "unknown author",
        severity=r.severity,
        status=r.status,
        priority=float(r.priority or 0.0),
        viral_score=float(r.viral_score or 0.0),
        accelerating=bool(r.accelerating),
        reach=r.reach,
        sentiment=r.sentiment,
        confidence=r.confidence,
        claimed_by=r.claimed_by,
        flagged_at=r.flagged_at,
        sla_due_at=effective_sla_due(r.sla_due_at, r.severity, r.flagged_at, sla),
        language=r.language,
        incident_id=r.incident_id,
    )


def load_facets(*, engine: Engine | None = None) -> Facets:
    """Sources, watches, open incidents and the languages currently on the queue."""
    eng = reader(engine)
    W = Watch.__table__  # type: ignore[attr-defined]
    I = Incident.__table__  # type: ignore[attr-defined]  # noqa: E741
    with eng.connect() as conn:
        sources: dict[int, str] = dict(
            conn.execute(select(S.c.id, S.c.name).order_by(S.c.name)).tuples().all()
        )
        watches: dict[int, str] = dict(
            conn.execute(select(W.c.id, W.c.name).order_by(W.c.name)).tuples().all()
        )
        incidents: dict[int, str] = dict(
            conn.execute(
                select(I.c.id, I.c.title).where(I.c.status != "resolved").order_by(I.c.id.desc()).limit(200)
            )
            .tuples()
            .all()
        )
        languages = [
            lang
            for (lang,) in conn.execute(
                select(M.c.language)
                .where(M.c.status.in_(QUEUE_STATUSES), M.c.language.is_not(None))
                .distinct()
                .order_by(M.c.language)
            ).all()
        ]
    return Facets(sources=sources, watches=watches, incidents=incidents, languages=languages)


@dataclass(frozen=True)
class FollowUp:
    """A resolved mention whose planned follow-up with the customer is due."""

    id: int
    title: str
    author: str
    outcome: str | None
    resolved_by: str | None
    follow_up_at: datetime


def follow_ups_due(
    *, user: str | None = None, now: datetime | None = None, limit: int = 20, engine: Engine | None = None
) -> list[FollowUp]:
    """Resolved mentions whose follow-up date has come (of ``user``'s resolutions if given), oldest first."""
    now = now or utcnow()
    query = (
        select(
            M.c.id,
            func.coalesce(M.c.title, func.substr(M.c.text, 1, 120)).label("title"),
            func.coalesce(A.c.display_name, A.c.handle).label("author"),
            M.c.outcome,
            M.c.resolved_by,
            M.c.follow_up_at,
        )
        .select_from(M.outerjoin(A, A.c.id == M.c.author_id))
        .where(M.c.status == "resolved", M.c.follow_up_at.is_not(None), M.c.follow_up_at <= now)
        .order_by(M.c.follow_up_at)
        .limit(limit)
    )
    if user:
        query = query.where(M.c.resolved_by == user)
    with reader(engine).connect() as conn:
        rows = conn.execute(query).all()
    return [
        FollowUp(
            id=r.id,
            title=" ".join((r.title or "").split())[:120] or f"Mention {r.id}",
            author=r.author or "unknown author",
            outcome=r.outcome,
            resolved_by=r.resolved_by,
            follow_up_at=r.follow_up_at,
        )
        for r in rows
    ]


def last_seen(username: str, *, engine: Engine | None = None) -> datetime | None:
    """When the user last looked at the queue (None: never)."""
    with reader(engine).connect() as conn:
        return conn.execute(select(U.c.last_seen_queue_at).where(U.c.username == username)).scalar()


def mark_seen(username: str, when: datetime | None = None, *, engine: Engine | None = None) -> None:
    """Remember that the user looked at the queue at ``when`` (default now)."""
    with engine_or_default(engine).begin() as conn:
        conn.execute(update(U).where(U.c.username == username).values(last_seen_queue_at=when or utcnow()))


@dataclass(frozen=True)
class ActionResult:
    """What happened when a person pressed a button: ok, and a sentence to show."""

    ok: bool
    message: str
    holder: str | None = None


def claim_item(mention_id: int, user: str, *, engine: Engine | None = None) -> ActionResult:
    """Claim a mention for ``user``; if someone was faster, say who holds it."""
    try:
        lifecycle.claim(mention_id, user, engine=engine)
    except AlreadyClaimed as exc:
        who = "you" if exc.holder == user else exc.holder
        return ActionResult(False, f"Already claimed by {who}.", holder=exc.holder)
    except BouncebackError as exc:
        return ActionResult(False, str(exc))
    return ActionResult(True, f"You hold mention {mention_id}.", holder=user)
