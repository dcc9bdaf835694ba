"""CrawlRun rows and Source health: written by the crawl process and by the launcher that watches it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from bounceback.tables import CrawlRun, Source
from bounceback.types import CrawlStatus, utcnow

CR = CrawlRun.__table__  # type: ignore[attr-defined]
SRC = Source.__table__  # type: ignore[attr-defined]
LAST_ERROR_CHARS = 1000


def start_run(engine: Engine, source_id: int, pid: int | None) -> int:
    """Open a ``running`` CrawlRun and stamp the source's last_crawl_at; returns the run id."""
    now = utcnow()
    with engine.begin() as conn:
        run_id = conn.execute(
            insert(CR)
            .values(source_id=source_id, status=CrawlStatus.running.value, started_at=now, pid=pid, errors=[])
            .returning(CR.c.id)
        ).scalar_one()
        conn.execute(update(SRC).where(SRC.c.id == source_id).values(last_crawl_at=now))
    return int(run_id)


def _item_counts(counts: dict[str, int]) -> dict[str, int]:
    values = {
        "pages": counts.get("pages", 0),
        "items_new": counts.get("new", 0),
        "items_updated": counts.get("updated", 0),
        "items_unchanged": counts.get("unchanged", 0),
        "items_parked": counts.get("parked", 0),
    }
    if "duplicate" in counts:  # else keep what the pipeline's last progress wrote
        values["items_duplicate"] = counts["duplicate"]
    return values


def write_progress(conn: Connection, run_id: int, counts: dict[str, int]) -> None:
    """Write a running crawl's counts so far, in the transaction that stores the batch they count
    (a crawl killed at any moment shows exactly what it stored)."""
    conn.execute(
        update(CR)
        .where(CR.c.id == run_id, CR.c.status == CrawlStatus.running.value)
        .values(**_item_counts(counts))
    )


def finish_run(
    engine: Engine,
    run_id: int,
    source_id: int,
    *,
    status: CrawlStatus,
    counts: dict[str, int],
    errors: list[dict[str, Any]],
    new_state: dict[str, Any] | None = None,
    last_error: str | None = None,
) -> None:
    """Close the run with its counts and errors and update the source's health (and state if ok)."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(CR)
            .where(CR.c.id == run_id)
            .values(
                status=status.value,
                finished_at=now,
                errors=errors,
                **_item_counts(counts),
            )
        )
        _health(conn, source_id, status, last_error, now, new_state)


def _health(
    conn: Any,
    source_id: int,
    status: CrawlStatus,
    last_error: str | None,
    now: Any,
    new_state: dict[str, Any] | None = None,
) -> None:
    if status == CrawlStatus.ok:
        values: dict[str, Any] = {"last_success_at": now, "consecutive_failures": 0}
        if new_state is not None:
            values["state"] = new_state
        if last_error:  # a successful crawl can still have had errors worth showing
            values.update(last_error=last_error[:LAST_ERROR_CHARS], last_error_at=now)
    else:
        values = {
            "consecutive_failures": SRC.c.consecutive_failures + 1,
            "last_error": (last_error or status.value)[:LAST_ERROR_CHARS],
            "last_error_at": now,
        }
    conn.execute(update(SRC).where(SRC.c.id == source_id).values(**values))


def record_abnormal_end(
    engine: Engine, source_id: int, pid: int | None, status: CrawlStatus, reason: str
) -> int:
    """The launcher's record of a crawl it killed or that crashed: close its run (or create one)."""
    now = utcnow()
    error = [{"kind": status.value, "reason": reason[:LAST_ERROR_CHARS]}]
    with engine.begin() as conn:
        run_id = None
        if pid is not None:
            run_id = conn.execute(
                select(CR.c.id)
                .where(CR.c.source_id == source_id, CR.c.pid == pid, CR.c.status == CrawlStatus.running.value)
                .order_by(CR.c.id.desc())
            ).scalar()
        if run_id is None:
            run_id = conn.execute(
                insert(CR)
                .values(source_id=source_id, status=status.value, started_at=now, pid=pid, errors=[])
                .returning(CR.c.id)
            ).scalar_one()
            conn.execute(update(SRC).where(SRC.c.id == source_id).values(last_crawl_at=now))
        row = conn.execute(select(CR.c.errors).where(CR.c.id == run_id)).scalar_one()
        conn.execute(
            update(CR)
            .where(CR.c.id == run_id)
            .values(status=status.value, finished_at=now, errors=[*(row or []), *error])
        )
        _health(conn, source_id, status, reason, now)
    return int(run_id)
