"""Migration 0004 (re-triage marks) on a 0003 database that already holds mentions, both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from bounceback.db import make_engine
from bounceback.migrate import alembic_config, current_revision, upgrade
from tests.kernel.test_migration_identity import OLD_ROWS, _old_mentions

COLUMNS = {"retriage_at", "retriaged_at"}


def test_0004_adds_unset_marks_to_existing_mentions_and_downgrades_keeping_them(empty_db):
    engine = make_engine(empty_db)
    upgrade(engine, "0003")
    _old_mentions(engine)

    upgrade(engine, "0004")

    assert current_revision(engine) == "0004"
    with engine.connect() as conn:
        marks = conn.execute(text("SELECT retriage_at, retriaged_at, status FROM mention")).all()
    assert [tuple(m) for m in marks] == [(None, None, "open")] * len(OLD_ROWS)
    names = {ix["name"] for ix in inspect(engine).get_indexes("mention")}
    assert {"ix_mention_retriage_at", "ix_mention_retriaged_at"} <= names

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")

    assert current_revision(engine) == "0003"
    assert not COLUMNS & {c["name"] for c in inspect(engine).get_columns("mention")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM mention")).scalar_one() == len(OLD_ROWS)
    upgrade(engine)
    assert {c["name"] for c in inspect(engine).get_columns("mention")} >= COLUMNS
    engine.dispose()
