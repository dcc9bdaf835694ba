"""Migration 0003 (mention identity) on a 0002 database that already holds mentions, both databases."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bounceback.db import make_engine
from bounceback.identity import identity_hash
from bounceback.migrate import alembic_config, current_revision, schema_drift, upgrade

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
OLD_ROWS = [
    ("reddit", "t3_a", "https://WWW.reddit.com/r/x/comments/a/post/?ref=search_posts"),
    ("feed", "tag:google.com:9", "https://www.reddit.com/r/x/comments/a/post/"),
    ("appstore", "42", "https://apps.apple.com/gb/app/id1?see-all=reviews#review-42"),
    ("hackernews", "7", None),
]


def _old_mentions(engine) -> None:
    with engine.begin() as conn:
        for n, (kind, external_id, url) in enumerate(OLD_ROWS):
            conn.execute(
                text(
                    "INSERT INTO source (kind, name, params, interval_seconds, enabled, created_at, state, "
                    "consecutive_failures) VALUES (:kind, :name, '{}', 900, true, CURRENT_TIMESTAMP, '{}', 0)"
                ),
                {"kind": kind, "name": f"old-{n}"},
            )
            conn.execute(
                text(
                    "INSERT INTO mention (source_id, external_id, url, text, status, priority, viral_score, "
                    "accelerating, flag_reasons, engagement, fetched_at, updated_at, version) VALUES ("
                    "(SELECT id FROM source WHERE name = :name), :ext, :url, 'old', 'open', 0, 0, false, "
                    "'[]', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                ),
                {"name": f"old-{n}", "ext": external_id, "url": url},
            )
        conn.execute(
            text(
                "INSERT INTO crawlrun (source_id, status, started_at, pages, items_new, items_updated, "
                "items_unchanged, items_parked, errors) VALUES ((SELECT MIN(id) FROM source), 'ok', "
                "CURRENT_TIMESTAMP, 1, 1, 0, 0, 0, '[]')"
            )
        )


def test_0003_backfills_identity_of_existing_mentions_without_marking_any_duplicate(empty_db):
    engine = make_engine(empty_db)
    upgrade(engine, "0002")
    _old_mentions(engine)

    upgrade(engine)

    assert current_revision(engine) == HEAD
    assert schema_drift(engine) == []
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT external_id, identity_hash, duplicate_of_id, status FROM mention ORDER BY id")
        ).all()
        runs = conn.execute(text("SELECT items_duplicate FROM crawlrun")).scalars().all()
    assert [(r.identity_hash, r.duplicate_of_id, r.status) for r in rows] == [
        (identity_hash(kind, ext, url), None, "open") for kind, ext, url in OLD_ROWS
    ]
    assert rows[0].identity_hash == rows[1].identity_hash, "the feed's link to the reddit post"
    assert runs == [0]
    names = {ix["name"] for ix in inspect(engine).get_indexes("mention")}
    assert {"ix_mention_identity_hash", "ix_mention_duplicate_of_id"} <= names
    engine.dispose()


def test_0003_downgrades_to_0002_keeping_the_mentions(empty_db):
    engine = make_engine(empty_db)
    upgrade(engine, "0002")
    _old_mentions(engine)
    upgrade(engine)

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")

    assert current_revision(engine) == "0002"
    columns = {c["name"] for c in inspect(engine).get_columns("mention")}
    assert "identity_hash" not in columns and "duplicate_of_id" not in columns
    assert "items_duplicate" not in {c["name"] for c in inspect(engine).get_columns("crawlrun")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM mention")).scalar_one() == len(OLD_ROWS)
    upgrade(engine)  # and up again
    assert current_revision(engine) == HEAD
    engine.dispose()
