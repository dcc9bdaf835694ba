"""The outbox: `Alert` rows written in the transaction of the change that caused them.

`enqueue` inserts with ``ON CONFLICT (dedup_key) DO NOTHING``: the dedup key (mention or incident,
rule, channel) makes raising the same alert twice a no-op, so every producer may simply retry.

Producers outside this package cannot import it; they meet it in the database. A stage that wants
alerts in its OWN transaction inserts a request row, which `evaluate` routes through the rules::

    INSERT INTO alert (dedup_key, kind, mention_id, status, attempts, next_attempt_at, payload, created_at)
    VALUES ('request:mention:42', 'request', 42, 'pending', 0, CURRENT_TIMESTAMP, '{}', CURRENT_TIMESTAMP)
    ON CONFLICT (dedup_key) DO NOTHING

A mention judged again by the score job (``mention.retriaged_at``, see `bounceback.retriage`) is read
the same way past its own watermark; a rule that now holds and held for nothing a channel was already
told about it (the mention became viral, accelerating, more severe) alerts that channel.

Stages that only set ``mention.status='open'`` and ``flagged_at`` need nothing: `evaluate` also scans
newly flagged mentions, from a stored watermark with an overlap for late commits. The watermark is the
time the last complete evaluation started (not the newest ``flagged_at`` it saw): a flag that run did
not see was committed after it started, so its ``flagged_at`` is at most ``OVERLAP`` earlier (its
transaction's length plus clock skew). So each flag is read again for ``OVERLAP`` at most, a quiet
spell reads nothing, and a flag stamped by a clock running ahead cannot move the watermark past flags
stamped by the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from alerts.message import EXCERPT_CHARS, clean_text, item_link
from alerts.rules import Conditions, active_rules
from alerts.sql import AL, APP, AU, INC, SRC, WA, M
from alerts.storm import group_key
from bounceback.db import get_engine
from bounceback.lifecycle import log_activity
from bounceback.settings import Settings, get_settings
from bounceback.types import ActivityAction, utcnow

CURSOR_KEY = "alerts.flagged_cursor"
RETRIAGED_CURSOR_KEY = "alerts.retriaged_cursor"
INCIDENT_CURSOR_KEY = "alerts.incident_cursor"
OVERLAP = timedelta(minutes=15)  # re-read this far behind the watermark: late commits are not missed
FIRST_LOOKBACK = timedelta(hours=24)  # on the first run, alert on flags of the last day only
BATCH = 500
ALERTABLE = ("open", "reopened", "escalated")


def enqueue(
    conn: Connection,
    *,
    dedup_key: str,
    channel_id: int | None,
    kind: str,
    payload: dict[str, Any],
    rule_id: int | None = None,
    mention_id: int | None = None,
    incident_id: int | None = None,
    group: str | None = None,
    severity: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Insert one pending alert in the caller's transaction; False if its dedup key already exists."""
    now = now or utcnow()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(AL)
        .values(
            dedup_key=dedup_key,
            channel_id=channel_id,
            rule_id=rule_id,
            kind=kind,
            mention_id=mention_id,
            incident_id=incident_id,
            group_key=group,
            severity=severity,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            payload=payload,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    return conn.execute(stmt.returning(AL.c.id)).first() is not None


def mention_query() -> Any:
    """Mentions joined with what a message shows (source, author, watch, incident)."""
    return (
        select(
            M,
            SRC.c.name.label("source_name"),
            SRC.c.kind.label("source_kind"),
            AU.c.handle.label("author_handle"),
            AU.c.display_name.label("author_name"),
            AU.c.followers.label("followers"),
            WA.c.name.label("watch_name"),
            INC.c.title.label("incident_title"),
        )
        .join(SRC, SRC.c.id == M.c.source_id)
        .outerjoin(AU, AU.c.id == M.c.author_id)
        .outerjoin(WA, WA.c.id == M.c.watch_id)
        .outerjoin(INC, INC.c.id == M.c.incident_id)
    )


def mention_payload(row: Any, dashboard_url: str) -> dict[str, Any]:
    """The snapshot an alert carries about one mention (see `alerts.message`)."""
    author = row.author_handle or ""
    if row.author_name and row.author_name != author:
        author = f"{row.author_name} (@{author})" if author else row.author_name
    return {
        "mention_id": row.id,
        "severity": row.severity,
        "source": row.source_name,
        "source_kind": row.source_kind,
        "source_id": row.source_id,
        "watch": row.watch_name,
        "author": clean_text(author, 200),
        "reach": row.reach if row.reach is not None else row.followers,
        "title": clean_text(row.title, 300) or None,
        "excerpt": clean_text(row.text, EXCERPT_CHARS),
        "reasons": [clean_text(r, 200) for r in (row.flag_reasons or [])],
        "sentiment": row.sentiment,
        "confidence": row.confidence,
        "rating": row.rating,
        "viral_score": row.viral_score,
        "accelerating": bool(row.accelerating),
        "priority": row.priority,
        "url": row.url,
        "link": item_link(dashboard_url, row.id),
        "incident_id": row.incident_id,
        "incident_title": clean_text(row.incident_title, 300) or None,
        "sla_due_at": row.sla_due_at.isoformat() if row.sla_due_at else None,
    }


def alert_mention(
    conn: Connection,
    row: Any,
    rules: list[tuple[int, str, int, Conditions]],
    *,
    kind: str,
    settings: Settings,
    now: datetime,
    actor: str = "alerts",
    told: dict[int, list[dict[str, Any]]] | None = None,
) -> int:
    """Raise the alerts ``rules`` ask for about one mention, plus one `Activity`; returns how many.

    ``told`` (channel id → payloads of the alerts it already has about the mention): a rule that held
    for one of them is no news to that channel and is passed over. A mention the score job judged
    again as it spread (``retriaged_at``) has a storm group of its own (``spreading:`` + the incident's
    or source's), so it is not held back behind that group's window: the first goes at once, more in
    that window leave together.
    """
    payload = mention_payload(row, settings.dashboard_url)
    group = group_key(row.incident_id, row.source_id)
    if group and kind == "mention" and getattr(row, "retriaged_at", None) is not None:  # it spread
        group = f"spreading:{group}"
    made: list[dict[str, Any]] = []
    seen: set[int] = set()
    for rule_id, rule_name, channel_id, conditions in rules:
        if channel_id in seen or not conditions.matches(payload):
            continue  # the first matching rule (by id) speaks for its channel: one message per channel
        if told and any(conditions.matches(earlier) for earlier in told.get(channel_id, [])):
            continue
        seen.add(channel_id)
        subject = f"mention:{row.id}" if kind == "mention" else f"{kind}:mention:{row.id}"
        key = f"{subject}:rule:{rule_id}:channel:{channel_id}"
        if enqueue(
            conn,
            dedup_key=key,
            channel_id=channel_id,
            rule_id=rule_id,
            kind=kind,
            mention_id=row.id,
            incident_id=row.incident_id,
            group=group,
            severity=row.severity,
            payload={**payload, "rule": rule_name},
            now=now,
        ):
            made.append({"rule": rule_name, "channel_id": channel_id})
    if made:
        log_activity(conn, ActivityAction.alerted, actor, mention_id=row.id, details={"alerts": made})
    return len(made)


def _cursor(conn: Connection, key: str) -> datetime | None:
    value = conn.execute(select(APP.c.value).where(APP.c.key == key)).scalar_one_or_none()
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _set_cursor(conn: Connection, key: str, when: datetime, now: datetime) -> None:
    table = APP
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values(key=key, value=when.isoformat(), updated_at=now, updated_by="alerts")
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"], set_={"value": when.isoformat(), "updated_at": now}
        )
    )


def _read_since(
    engine: Engine,
    key: str,
    cursor: datetime | None,
    now: datetime,
    query: Any,
    when: Any,
    handle: Callable[[Connection, Sequence[Any]], None],
) -> None:
    """Hand ``handle`` each batch of ``query``'s rows past ``cursor`` (the watermark stored under ``key``),
    in the batch's own transaction, paged by (``when``, id); the watermark moves as the module doc says."""
    after: tuple[datetime, int] = ((cursor - OVERLAP) if cursor else now - FIRST_LOOKBACK, 0)
    ident = when.table.c.id
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                query.where(or_(when > after[0], and_(when == after[0], ident > after[1])))
                .order_by(when, ident)
                .limit(BATCH)
            ).all()
            handle(conn, rows)
            if len(rows) == BATCH:  # progress, should the run stop here: read up to this row
                after = (getattr(rows[-1], when.name), rows[-1].id)
                _set_cursor(conn, key, min(now, after[0]), now)
            else:  # all read that was committed when this run started at ``now``
                _set_cursor(conn, key, now, now)
        if len(rows) < BATCH:
            return


def evaluate(
    engine: Engine | None = None, settings: Settings | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Turn new flags, new incidents and request rows into alerts; idempotent. Returns counts."""
    engine, settings, now = engine or get_engine(), settings or get_settings(), now or utcnow()
    counts = {"mentions": 0, "alerts": 0, "incidents": 0, "requests": 0}
    with engine.begin() as conn:
        rules = active_rules(conn, "flagged")
        cursor = _cursor(conn, CURSOR_KEY)
    # what the overlap re-reads and already has its alerts is skipped in SQL (cheap in a storm)
    already_alerted = exists().where(AL.c.mention_id == M.c.id, AL.c.kind == "mention")
    flags = mention_query().where(M.c.flagged_at.is_not(None), M.c.status.in_(ALERTABLE), ~already_alerted)

    def alert_flags(conn: Connection, rows: Sequence[Any]) -> None:
        for row in rows:
            counts["alerts"] += alert_mention(conn, row, rules, kind="mention", settings=settings, now=now)
        counts["mentions"] += len(rows)

    _read_since(engine, CURSOR_KEY, cursor, now, flags, M.c.flagged_at, alert_flags)
    counts["retriaged"] = _retriaged(engine, rules, settings, now)
    counts["alerts"] += counts["retriaged"]
    counts["requests"], routed = _route_requests(engine, rules, settings, now)
    counts["alerts"] += routed
    counts["incidents"] = _incidents(engine, now)
    return counts


def _retriaged(
    engine: Engine, rules: list[tuple[int, str, int, Conditions]], settings: Settings, now: datetime
) -> int:
    """Alerts for flagged mentions judged again since their last alert (``retriaged_at`` past its own
    watermark, read as flags are): a rule that holds now but held for nothing a channel was told about
    the mention (it became viral, accelerating, more severe) alerts that channel."""
    made = 0
    with engine.begin() as conn:
        cursor = _cursor(conn, RETRIAGED_CURSOR_KEY)
    query = mention_query().where(M.c.retriaged_at.is_not(None), M.c.status.in_(ALERTABLE))

    def alert_changes(conn: Connection, rows: Sequence[Any]) -> None:
        nonlocal made
        for row in rows:
            told: dict[int, list[dict[str, Any]]] = {}
            earlier = select(AL.c.channel_id, AL.c.payload).where(
                AL.c.mention_id == row.id, AL.c.kind == "mention"
            )
            for channel_id, payload in conn.execute(earlier):
                told.setdefault(channel_id, []).append(payload or {})
            made += alert_mention(conn, row, rules, kind="mention", settings=settings, now=now, told=told)

    _read_since(engine, RETRIAGED_CURSOR_KEY, cursor, now, query, M.c.retriaged_at, alert_changes)
    return made


def _route_requests(
    engine: Engine, rules: list[tuple[int, str, int, Conditions]], settings: Settings, now: datetime
) -> tuple[int, int]:
    """Route request rows (inserted by other stages) through the flag rules, in one transaction each batch."""
    done = alerts = 0
    with engine.begin() as conn:
        requests = conn.execute(
            select(AL.c.id, AL.c.mention_id)
            .where(AL.c.kind == "request", AL.c.status == "pending")
            .limit(BATCH)
        ).all()
        ids = {r.mention_id: r.id for r in requests if r.mention_id is not None}
        if ids:
            for row in conn.execute(mention_query().where(M.c.id.in_(list(ids)))).all():
                alerts += alert_mention(conn, row, rules, kind="mention", settings=settings, now=now)
        for req in requests:
            conn.execute(
                update(AL)
                .where(AL.c.id == req.id)
                .values(status="sent", sent_at=now, last_error="routed by the rules")
            )
            done += 1
    return done, alerts


def _incidents(engine: Engine, now: datetime) -> int:
    """Alerts for incidents opened since the incident watermark (rules with event ``incident``).

    The same watermark and paging as flags, by (opened_at, id): an incident stamped by a clock running
    ahead hides none committed after it, and any number opened at once are all read.
    """
    made = 0
    with engine.begin() as conn:
        rules = active_rules(conn, "incident")
        cursor = _cursor(conn, INCIDENT_CURSOR_KEY)

    def alert_incidents(conn: Connection, rows: Sequence[Any]) -> None:
        nonlocal made
        for inc in rows:
            made += _alert_incident(conn, inc, rules, now)

    _read_since(
        engine,
        INCIDENT_CURSOR_KEY,
        cursor,
        now,
        select(INC).where(INC.c.status == "open"),
        INC.c.opened_at,
        alert_incidents,
    )
    return made


def _alert_incident(
    conn: Connection, inc: Any, rules: list[tuple[int, str, int, Conditions]], now: datetime
) -> int:
    """Outbox rows for one open incident, one per channel whose rules match it."""
    payload = {
        "incident_id": inc.id,
        "incident_title": clean_text(inc.title, 300),
        "severity": inc.severity,
        "mention_count": inc.mention_count,
        "keywords": list(inc.keywords or [])[:10],
        "reasons": list(inc.keywords or [])[:10],
    }
    made = 0
    seen: set[int] = set()
    for rule_id, rule_name, channel_id, conditions in rules:
        if channel_id in seen or not conditions.matches(payload):
            continue
        seen.add(channel_id)
        made += enqueue(
            conn,
            dedup_key=f"incident:{inc.id}:rule:{rule_id}:channel:{channel_id}",
            channel_id=channel_id,
            rule_id=rule_id,
            kind="incident",
            incident_id=inc.id,
            group=None,
            severity=inc.severity,
            payload={**payload, "rule": rule_name},
            now=now,
        )
    return made
