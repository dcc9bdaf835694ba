from sqlalchemy import inspect

from bounceback.db import make_engine
from bounceback.migrate import current_revision, schema_drift, upgrade

TABLES = {
    "source",
    "watch",
    "author",
    "mention",
    "engagementsnapshot",
    "score",
    "incident",
    "alert",
    "activity",
    "crawlrun",
    "user",
    "channel",
    "rule",
    "correction",
    "jobrun",
    "lease",
    "appsetting",
}


def test_migration_from_empty_creates_every_table_and_matches_models(db_url):
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert current_revision(engine) is not None
    assert schema_drift(engine) == []
    engine.dispose()


def test_upgrade_twice_is_a_no_op(db_url):
    engine = make_engine(db_url)
    before = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == before
    engine.dispose()


def test_queue_and_trend_indexes_exist(db_url):
    engine = make_engine(db_url)
    names = {ix["name"] for ix in inspect(engine).get_indexes("mention")}
    assert {"ix_mention_queue", "ix_mention_published_at", "ix_mention_author_id"} <= names
    engine.dispose()
