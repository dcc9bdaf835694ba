"""One batch of a worker's rows, taken the way each database allows several workers side by side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from bounceback.db import is_postgres


def run_batch(
    engine: Engine,
    take: Callable[[Connection, bool], list[Any]],
    read: Callable[[Connection, list[Any]], Any],
    judge: Callable[[list[Any], Any], Any],
    write: Callable[[Connection, Any], dict[str, int]],
) -> dict[str, int] | None:
    """Take rows, judge them, write the result; None when ``take`` found nothing.

    On PostgreSQL one transaction holds the rows (``take(conn, lock=True)``: FOR UPDATE SKIP LOCKED);
    on SQLite the rows and their context are read, judged outside any write lock, then written (the
    writes are conditional, so a row another worker got to first is skipped).
    """
    if is_postgres(engine):
        with engine.begin() as conn:
            rows = take(conn, True)
            return write(conn, judge(rows, read(conn, rows))) if rows else None
    with engine.execution_options(readonly=True).begin() as conn:
        rows = take(conn, False)
        if not rows:
            return None
        context = read(conn, rows)
    judged = judge(rows, context)
    with engine.begin() as conn:
        return write(conn, judged)


def drain(
    one_batch: Callable[[], dict[str, int] | None],
    totals: dict[str, int],
    max_batches: int | None = None,
    idle: Callable[[dict[str, int]], bool] = lambda counts: False,
) -> dict[str, int]:
    """Run ``one_batch`` until it finds nothing, ``idle(counts)`` says a batch did nothing, or
    ``max_batches``; ``totals`` gains each batch's counts and is returned."""
    batches = 0
    while max_batches is None or batches < max_batches:
        counts = one_batch()
        if counts is None:
            break
        batches += 1
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if idle(counts):
            break
    return totals
