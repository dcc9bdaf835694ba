"""`bounceback channel|rule|deliver|alerts` through the real CLI entry point (in process)."""

from __future__ import annotations

import json

import pytest

from bounceback.cli import main
from bounceback.types import utcnow
from tests.alerts.conftest import flagged
from tests.alerts.peers import ScriptedHTTPServer

# what this file tests is rendering and command plumbing, not storage: SQLite is enough
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_channel_add_sends_a_real_test_message_and_creates_default_rules(engine, capsys, http_server):
    code, out, _ = _run(
        capsys, "channel", "add", "care", "--kind", "webhook", "--url", http_server.url + "/hooks/t0ken-123"
    )
    assert code == 0, out
    assert "test message sent" in out and "default rules created" in out
    [req] = http_server.received
    assert req.json["event"] == "test"
    code, out, _ = _run(capsys, "channel", "list")
    assert "care" in out and "/***" in out and "t0ken-123" not in out
    code, out, _ = _run(capsys, "rule", "list")
    for name in ("high-severity", "viral-negative", "new-incident", "sla-escalation"):
        assert name in out
    assert "flagged: severity ≥ high" in out


def test_channel_whose_test_fails_is_not_added_and_the_reason_is_exact(engine, capsys, http_server):
    http_server.set(404, body=b"no such hook")
    code, out, _ = _run(
        capsys, "channel", "add", "care", "--kind", "webhook", "--url", http_server.url + "/hooks/s3cret-path"
    )
    assert code == 1
    assert f"webhook http://127.0.0.1:{http_server.port}/***: HTTP 404 no such hook" in out
    assert "failed (permanent)" in out and "s3cret-path" not in out
    code, out, _ = _run(capsys, "channel", "list")
    assert "care" not in out


def test_channel_test_reports_a_passing_failure(engine, capsys, http_server: ScriptedHTTPServer):
    assert (
        _run(capsys, "channel", "add", "care", "--kind", "webhook", "--url", http_server.url, "--no-test")[0]
        == 0
    )
    http_server.set(503)
    code, out, _ = _run(capsys, "channel", "test", "care")
    assert code == 1 and "failed (temporary)" in out and "HTTP 503" in out


def test_rule_add_list_remove_and_bad_input(engine, capsys, http_server):
    _run(capsys, "channel", "add", "care", "--kind", "webhook", "--url", http_server.url, "--no-test")
    code, _, _ = _run(capsys, "rule", "add", "loud", "--channel", "care", "--negative", "--min-reach", "5000")
    assert code == 0
    assert "flagged: negative, reach ≥ 5000" in _run(capsys, "rule", "list")[1]
    code, _, err = _run(capsys, "rule", "add", "x", "--channel", "nope")
    assert code == 1 and "no channel named 'nope'" in err
    assert _run(capsys, "rule", "remove", "loud")[0] == 0
    assert "loud" not in _run(capsys, "rule", "list")[1]


def test_evaluate_deliver_and_dead_commands_print_their_counts(engine, capsys, http_server):
    _run(capsys, "channel", "add", "care", "--kind", "webhook", "--url", http_server.url, "--no-test")
    flagged(engine, severity="critical", when=utcnow())
    code, out, _ = _run(capsys, "alerts", "evaluate")
    assert code == 0 and json.loads(out)["alerts"] == 1
    http_server.set(410)
    code, out, _ = _run(capsys, "deliver")
    assert code == 0 and json.loads(out)["dead"] == 1
    code, out, _ = _run(capsys, "alerts", "dead")
    assert "HTTP 410" in out and "care" in out
    assert json.loads(_run(capsys, "alerts", "status")[1]) == {"dead": 1}


def test_quiet_hours_and_timezone_are_validated(engine, capsys, http_server):
    code, _, err = _run(
        capsys,
        "channel",
        "add",
        "c",
        "--kind",
        "webhook",
        "--url",
        http_server.url,
        "--quiet-hours",
        "25:00-07:00",
        "--no-test",
    )
    assert code == 1 and "quiet hours must look like 22:00-07:00" in err
    code, _, err = _run(
        capsys,
        "channel",
        "add",
        "c",
        "--kind",
        "webhook",
        "--url",
        http_server.url,
        "--timezone",
        "Mars/Olympus",
        "--no-test",
    )
    assert code == 1 and "unknown timezone" in err
