"""Small helpers shared by the query modules: time buckets, SLA minutes, app settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.sql.elements import ColumnElement

from bounceback.db import get_engine, session
from bounceback.settings import SEVERITIES, get_settings
from bounceback.tables import AppSetting, Mention
from bounceback.types import utcnow

M = Mention.__table__  # type: ignore[attr-defined]
SLA_KEY = "sla_minutes"
PRODUCT_KEY = "product_name"


def engine_or_default(engine: Engine | None) -> Engine:
    """The given engine, or the configured database's."""
    return engine or get_engine()


def reader(engine: Engine | None = None) -> Engine:
    """The engine for read-only work (on SQLite a deferred transaction that never blocks writers)."""
    return engine_or_default(engine).execution_options(readonly=True)


def mention_time() -> ColumnElement[Any]:
    """When a mention happened: its published time, else when we fetched it."""
    return func.coalesce(M.c.published_at, M.c.fetched_at)


def day_bucket(expr: ColumnElement[Any], engine: Engine) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp expression, on SQLite and PostgreSQL."""
    if engine.dialect.name == "postgresql":
        return func.date(func.timezone("UTC", expr))
    return func.date(expr)


def get_app_setting(key: str, default: Any = None, *, engine: Engine | None = None) -> Any:
    """The value an admin stored under ``key`` (AppSetting), else ``default``."""
    with session(engine, readonly=True) as sess:
        row = sess.get(AppSetting, key)
        return default if row is None else row.value


def set_app_setting(key: str, value: Any, by: str, *, engine: Engine | None = None) -> None:
    """Store an admin setting (insert or replace)."""
    with session(engine) as sess:
        row = sess.get(AppSetting, key)
        if row is None:
            sess.add(AppSetting(key=key, value=value, updated_by=by, updated_at=utcnow()))
        else:
            row.value = value
            row.updated_by = by
            row.updated_at = utcnow()
            sess.add(row)


def sla_minutes(*, engine: Engine | None = None) -> dict[str, int]:
    """SLA (minutes to first claim) per severity: the admin's values over the configured defaults."""
    values = dict(get_settings().sla_minutes)
    stored = get_app_setting(SLA_KEY, {}, engine=engine) or {}
    for severity in SEVERITIES:
        if isinstance(stored.get(severity), int) and stored[severity] > 0:
            values[severity] = stored[severity]
    return values


def effective_sla_due(
    sla_due_at: datetime | None,
    severity: str | None,
    flagged_at: datetime | None,
    sla: dict[str, int],
) -> datetime | None:
    """The SLA deadline: the stored one, else flagged time + the severity's SLA minutes."""
    if sla_due_at is not None:
        return sla_due_at
    if flagged_at is None or severity not in sla:
        return None
    return flagged_at + timedelta(minutes=sla[severity])


def count_rows(engine: Engine, query: Any) -> int:
    """``SELECT count(*)`` over a select statement."""
    with reader(engine).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())
