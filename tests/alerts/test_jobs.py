"""The scheduled jobs the alerts stage plugs into the scheduler."""

from __future__ import annotations

import pytest

from alerts.jobs import digest_job, escalate_job, evaluate_job, jobs
from bounceback.plugins import discover_jobs
from bounceback.settings import get_settings
from bounceback.types import utcnow
from tests.alerts.conftest import flagged, make_settings, webhook_channel


def test_jobs_cover_evaluate_deliver_escalate_and_digest_on_the_tick():
    specs = {spec.name: spec for spec in jobs(make_settings(tick_seconds=10))}
    assert set(specs) == {"alerts.evaluate", "alerts.deliver", "alerts.escalate", "alerts.digest"}
    assert specs["alerts.deliver"].interval_seconds == 10 and specs["alerts.evaluate"].interval_seconds == 2.5
    assert specs["alerts.digest"].interval_seconds == 3600
    assert {s.name for s in discover_jobs(make_settings())} >= set(specs)  # found through the entry point


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # job plumbing, not storage
def test_evaluate_job_delivers_at_once_what_it_raised(engine, http_server):
    webhook_channel(engine, get_settings(), http_server.url)
    flagged(engine, when=utcnow())
    counts = evaluate_job()
    assert counts["alerts"] == 1 and counts["delivery"]["messages"] == 1
    assert len(http_server.received) == 1
    assert escalate_job() == {"escalated": 0, "alerts": 0}
    assert digest_job() == {"digests": 0}
