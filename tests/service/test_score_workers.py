"""Two `bounceback worker score` processes on PostgreSQL share 2,000 pending mentions: each scored once."""

import pytest
from sqlalchemy import func, insert, select

from bounceback.mentions import mention_rows
from bounceback.tables import JobRun, Mention, Score
from bounceback.types import utcnow
from tests.factories import make_source
from tests.service.helpers import kill_group, service_env, start_bb, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
pytest.importorskip("sentiment.jobs", reason="the sentiment stage (its score job) is not in this tree yet")
TEXTS = [
    "Northwind Coffee lost my order again, I want a refund",
    "Lovely flat white at Northwind this morning",
    "The Northwind app keeps crashing when I pay",
    "Northwind Coffee opens at 7 on weekdays",
]


@pytest.mark.parametrize(
    "db_url", ["postgres"], indirect=True
)  # SKIP LOCKED scale-out is the PostgreSQL path
def test_two_score_workers_score_each_pending_mention_exactly_once(bb_env, engine, tmp_path):
    assert engine.dialect.name == "postgresql"
    source = make_source(engine)
    now = utcnow()
    rows = mention_rows(
        dict(source_id=source.id, external_id=f"w-{i}", text=f"{TEXTS[i % 4]} #{i}", fetched_at=now)
        for i in range(2000)
    )
    with engine.begin() as conn:
        conn.execute(insert(Mention.__table__), rows)
    env = service_env(BOUNCEBACK_EXTRA_JOBS="")
    workers = [
        start_bb("worker", "score", "--idle", "0.5", env=env, log=tmp_path / f"w{i}.log") for i in range(2)
    ]

    def pending():
        with engine.connect() as conn:
            return conn.execute(select(func.count()).where(Mention.__table__.c.status == "new")).scalar()

    try:
        wait_for(lambda: pending() == 0, 240, "every mention to be scored", every=1.0)
        for proc in workers:
            assert stop(proc) == 0
    finally:
        for proc in workers:
            kill_group(proc)
    with engine.connect() as conn:
        per_mention = conn.execute(
            select(Score.__table__.c.mention_id, func.count()).group_by(Score.__table__.c.mention_id)
        ).all()
        holders = conn.execute(select(func.count(func.distinct(JobRun.__table__.c.holder)))).scalar()
    assert len(per_mention) == 2000
    assert {n for _, n in per_mention} == {1}, "no mention was scored twice"
    assert holders == 2, "both workers took a share"
