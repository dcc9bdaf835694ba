"""`bounceback status`: what it reports and its exit code (for container health checks)."""

import json
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import insert, update

from bounceback.status import collect
from bounceback.tables import Alert, JobRun, Lease, Source
from bounceback.types import utcnow
from tests.factories import make_mention, make_source
from tests.service.helpers import REPO


def bb_status(*args):
    return subprocess.run(
        [sys.executable, "-m", "bounceback.cli", "status", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=dict(os.environ),
    )


def _lease(engine, seconds=60):
    with engine.begin() as conn:
        conn.execute(
            insert(Lease.__table__).values(
                name="scheduler", holder="host:1:abc", expires_at=utcnow() + timedelta(seconds=seconds)
            )
        )


def test_without_a_scheduler_status_is_unhealthy(engine):
    result = bb_status()
    assert result.returncode == 1
    assert "no scheduler holds the lease" in result.stdout


def test_healthy_service_exits_zero_and_reports_queues(engine):
    _lease(engine)
    src = make_source(engine)
    with engine.begin() as conn:
        conn.execute(update(Source.__table__).values(last_success_at=utcnow() - timedelta(seconds=30)))
        conn.execute(
            insert(JobRun.__table__).values(
                job="score", status="ok", started_at=utcnow(), finished_at=utcnow(), counts={"scored": 4}
            )
        )
    make_mention(engine, src, status="new")
    make_mention(engine, src, status="new")
    result = bb_status()
    assert result.returncode == 0, result.stdout
    assert "healthy" in result.stdout and "host:1:abc" in result.stdout
    assert "pending scores: 2" in result.stdout and "scored=4" in result.stdout
    data = json.loads(bb_status("--json").stdout)
    assert data["healthy"] is True and data["pending_scores"] == 2
    assert data["sources"][0]["lag_seconds"] >= 30


def test_failed_job_incomplete_source_and_dead_alerts_make_it_unhealthy(engine):
    _lease(engine)
    src = make_source(engine)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(JobRun.__table__).values(
                job="crawl",
                status="killed",
                started_at=now,
                error="killed after 600s (time limit)",
                counts={},
            )
        )
        conn.execute(
            update(Source.__table__)
            .where(Source.__table__.c.id == src.id)
            .values(incomplete_since=now - timedelta(hours=2), consecutive_failures=5)
        )
        conn.execute(
            insert(Alert.__table__).values(
                dedup_key="d1", status="dead", payload={}, attempts=8, next_attempt_at=now, created_at=now
            )
        )
        conn.execute(
            insert(Alert.__table__).values(
                dedup_key="d2",
                status="pending",
                payload={},
                attempts=0,
                next_attempt_at=now - timedelta(hours=1),
                created_at=now,
            )
        )
    status = collect()
    assert not status.healthy
    text = "\n".join(status.problems)
    assert "job crawl: last run killed (killed after 600s" in text
    assert f"source {src.name}: no successful crawl since" in text
    assert "1 alerts dead in the last 24 h" in text
    assert "outbox: 1 alerts waiting, the oldest due 60 min ago" in text
    result = bb_status("--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["dead_alerts"] == 1


def test_a_source_failing_three_times_in_a_row_is_unhealthy(engine):
    _lease(engine)
    flaky, fine = make_source(engine), make_source(engine)
    with engine.begin() as conn:
        conn.execute(
            update(Source.__table__)
            .where(Source.__table__.c.id == flaky.id)
            .values(consecutive_failures=3, last_error="HTTP 503 from the feed")
        )
        conn.execute(
            update(Source.__table__)
            .where(Source.__table__.c.id == fine.id)
            .values(consecutive_failures=2, last_error="timeout")
        )
    assert collect().problems == [f"source {flaky.name}: 3 failed crawls in a row (HTTP 503 from the feed)"]
