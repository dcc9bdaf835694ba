"""`bounceback score`, `bounceback rescore` and the `score` job, through the kernel's plugin mechanism."""

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from bounceback.errors import InvalidInput
from bounceback.plugins import discover_jobs
from bounceback.settings import get_settings
from sentiment.commands import parse_since
from tests.factories import make_mention


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "bounceback", *args], capture_output=True, text=True, timeout=180
    )


def test_score_and_rescore_commands_report_counts(engine):
    make_mention(engine, status="new", text="My order is three weeks late and nobody replies")
    make_mention(engine, status="new", text="")
    done = _cli("score", "--no-incidents")
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["model"] == "builtin"
    assert (counts["taken"], counts["scored"], counts["flagged"], counts["parked"]) == (2, 1, 1, 1)
    again = _cli("rescore", "--since", "1h", "--classifier", "vader")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])["taken"] == 2
    bad = _cli("rescore", "--since", "last tuesday")
    assert bad.returncode == 1 and "use an ISO date/time or a duration" in bad.stderr


def test_since_accepts_dates_and_durations():
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert parse_since("2h", now) == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        parse_since("soon", now)


def test_scheduler_discovers_the_score_job():
    jobs = {spec.name: spec for spec in discover_jobs(get_settings())}
    assert jobs["score"].func is not None
    assert jobs["score"].interval_seconds == get_settings().tick_seconds
