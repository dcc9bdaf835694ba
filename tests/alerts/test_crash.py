"""kill -9 of `bounceback deliver` after the receiver got a message but before the outbox recorded it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alerts.outbox import evaluate
from alerts.sql import AL
from bounceback.types import utcnow
from tests.alerts.conftest import flagged, make_settings, webhook_channel
from tests.alerts.peers import Action, ScriptedHTTPServer
from tests.factories import make_source

BOUNCEBACK = str(Path(sys.executable).with_name("bounceback"))
DEADLINE = 90.0


def _statuses(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(AL.c.status, func.count()).group_by(AL.c.status)).all())


@pytest.mark.slow
def test_killed_sender_restarts_with_at_most_one_duplicate_and_no_loss(
    engine, http_server: ScriptedHTTPServer
):
    settings = make_settings()
    webhook_channel(engine, settings, http_server.url, timeout=20)
    source = make_source(engine)
    for _ in range(5):
        flagged(engine, source, when=utcnow())
    assert evaluate(engine, settings, now=utcnow())["alerts"] == 5
    release = threading.Event()
    http_server.then(Action(status=200, block=release))  # got it... and the answer never comes back in time
    env = {
        **os.environ,
        "BOUNCEBACK_WEBHOOK_SECRET": "hook-secret-123",
        "BOUNCEBACK_ALERT_GROUP_WINDOW_SECONDS": "0",
    }
    sender = subprocess.Popen(
        [BOUNCEBACK, "deliver", "--lease", "3"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert http_server.got_request.wait(DEADLINE), "the sender never reached the receiver"
        sender.kill()  # SIGKILL: no cleanup, no commit
        sender.wait(10)
    finally:
        release.set()
        if sender.poll() is None:
            sender.kill()
        sender.communicate()
    assert _statuses(engine) == {"sending": 5}  # claimed, leased, nothing recorded
    first_key = http_server.received[0].json["dedup_keys"][0]

    deadline = time.monotonic() + DEADLINE
    runs = 0
    while _statuses(engine) != {"sent": 5}:
        assert time.monotonic() < deadline, f"not all delivered after restarts: {_statuses(engine)}"
        result = subprocess.run(
            [BOUNCEBACK, "deliver", "--lease", "3"], env=env, capture_output=True, text=True, timeout=DEADLINE
        )
        assert result.returncode == 0, result.stderr
        runs += 1
        if _statuses(engine) != {"sent": 5}:
            time.sleep(0.5)  # the crashed sender's lease (3 s) has to run out first
    received = [key for r in http_server.received for key in r.json["dedup_keys"]]
    assert len(set(received)) == 5  # none lost
    assert len(received) <= 6  # at most the one in flight twice
    assert received.count(first_key) == 2
