"""Incidents: similar complaints grouped, with their timeline and sources; claimed and resolved as one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, select

from bounceback import lifecycle
from bounceback.errors import BouncebackError
from bounceback.tables import Incident, Source
from dashboard.queries.common import M, mention_time, reader
from dashboard.queries.queue import ActionResult

I = Incident.__table__  # type: ignore[attr-defined]  # noqa: E741
S = Source.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class IncidentRow:
    """An incident as the list shows it."""

    id: int
    title: str
    status: str
    severity: str | None
    mentions: int
    opened_at: datetime
    last_seen_at: datetime
    keywords: list[str]
    sources: list[str]
    claimed_by: str | None
    outcome: str | None


def list_incidents(
    *, include_resolved: bool = False, limit: int = 100, engine: Engine | None = None
) -> list[IncidentRow]:
    """Incidents, open ones first and most recent first, with live mention counts and source names."""
    eng = reader(engine)
    counts = (
        select(M.c.incident_id, func.count().label("n"))
        .where(M.c.incident_id.is_not(None))
        .group_by(M.c.incident_id)
        .subquery()
    )
    query = (
        select(I, func.coalesce(counts.c.n, 0).label("n"))
        .outerjoin(counts, counts.c.incident_id == I.c.id)
        .order_by((I.c.status == "resolved").asc(), I.c.last_seen_at.desc())
        .limit(limit)
    )
    if not include_resolved:
        query = query.where(I.c.status != "resolved")
    with eng.connect() as conn:
        rows = conn.execute(query).all()
        names: dict[int, str] = dict(conn.execute(select(S.c.id, S.c.name)).tuples().all())
        by_incident: dict[int, set[int]] = {}
        ids = [r.id for r in rows]
        if ids:
            pairs = conn.execute(
                select(M.c.incident_id, M.c.source_id).where(M.c.incident_id.in_(ids)).distinct()
            ).all()
            for incident_id, source_id in pairs:
                by_incident.setdefault(incident_id, set()).add(source_id)
    return [
        IncidentRow(
            id=r.id,
            title=r.title,
            status=r.status,
            severity=r.severity,
            mentions=int(r.n) or r.mention_count,
            opened_at=r.opened_at,
            last_seen_at=r.last_seen_at,
            keywords=list(r.keywords or []),
            sources=sorted(
                names.get(s, f"source {s}") for s in by_incident.get(r.id, set(r.source_ids or []))
            ),
            claimed_by=r.claimed_by,
            outcome=r.outcome,
        )
        for r in rows
    ]


def incident_timeline(incident_id: int, *, engine: Engine | None = None) -> pd.DataFrame:
    """Mentions of the incident per hour and source: columns hour, source, mentions."""
    when = mention_time().label("when")
    query = (
        select(when, S.c.name.label("source"))
        .select_from(M.join(S, S.c.id == M.c.source_id))
        .where(M.c.incident_id == incident_id)
    )
    with reader(engine).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=["when", "source"])
    if frame.empty:
        return pd.DataFrame(columns=["hour", "source", "mentions"])
    frame["hour"] = pd.to_datetime(frame["when"], utc=True).dt.floor("h")
    return frame.groupby(["hour", "source"]).size().reset_index(name="mentions")


def incident_mentions(incident_id: int, *, limit: int = 200, engine: Engine | None = None) -> pd.DataFrame:
    """The incident's mentions (id, when, source, status, severity, title) newest first."""
    when = mention_time().label("when")
    query = (
        select(
            M.c.id,
            when,
            S.c.name.label("source"),
            M.c.status,
            M.c.severity,
            func.substr(func.coalesce(M.c.title, M.c.text), 1, 160).label("title"),
        )
        .select_from(M.join(S, S.c.id == M.c.source_id))
        .where(M.c.incident_id == incident_id)
        .order_by(when.desc())
        .limit(limit)
    )
    with reader(engine).connect() as conn:
        return pd.DataFrame(
            conn.execute(query).all(), columns=["id", "when", "source", "status", "severity", "title"]
        )


def claim_incident(incident_id: int, user: str, *, engine: Engine | None = None) -> ActionResult:
    """Claim the incident and every unclaimed mention in it."""
    try:
        n = lifecycle.claim_incident(incident_id, user, engine=engine)
    except BouncebackError as exc:
        return ActionResult(False, str(exc))
    return ActionResult(True, f"You hold incident {incident_id} and {n} of its mentions.", holder=user)


def resolve_incident(
    incident_id: int, user: str, outcome: str, *, note: str | None = None, engine: Engine | None = None
) -> ActionResult:
    """Resolve the incident and its mentions nobody else holds, with one outcome."""
    try:
        n = lifecycle.resolve_incident(incident_id, user, outcome, note=note, engine=engine)
    except (BouncebackError, ValueError) as exc:
        return ActionResult(False, str(exc))
    return ActionResult(True, f"Incident {incident_id} resolved with {n} mentions.")
