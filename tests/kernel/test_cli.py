"""The `bounceback` command, run as a user runs it: a subprocess."""

import os
import subprocess
import sys

import pytest


def bb(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bounceback.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_round_trip_user_source_watch_claim_resolve(bb_env, engine):
    from tests.factories import make_mention

    assert bb("db", "upgrade").returncode == 0
    added = bb("user", "add", "alice", "--role", "agent", "--password-stdin", stdin="correct horse\n")
    assert added.returncode == 0, added.stderr
    src = bb("source", "add", "reddit", "--name", "acme-reddit", "--query", "acme", "--interval", "15m")
    assert src.returncode == 0, src.stderr
    listed = bb("source", "list")
    assert "acme-reddit" in listed.stdout and "900" in listed.stdout
    assert bb("source", "disable", "acme-reddit").returncode == 0
    assert " no " in bb("source", "list").stdout
    watch = bb("watch", "add", "acme", "--term", "Acme", "--exclude", "Acme Road Runner")
    assert watch.returncode == 0, watch.stderr
    assert "Acme Road Runner" in bb("watch", "list").stdout

    mention = make_mention(engine, text="Acme lost my parcel\nagain")
    claim = bb("claim", str(mention.id), "--user", "alice")
    assert claim.returncode == 0 and "claimed by alice" in claim.stdout
    second = bb("claim", str(mention.id), "--user", "bob")
    assert second.returncode == 1
    assert second.stderr.strip() == f"bounceback: error: mention {mention.id} is already claimed by alice"
    resolved = bb("resolve", str(mention.id), "--user", "alice", "--outcome", "apologised", "--note", "sorry")
    assert resolved.returncode == 0, resolved.stderr
    listing = bb("mention", "list", "--status", "resolved")
    assert "Acme lost my parcel again" in listing.stdout  # one line per row


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["source", "add", "nope", "--name", "x"], "invalid choice: 'nope'"),
        (["source", "add", "feed", "--name", "x"], "a feed source needs --url"),
        (["source", "add", "feed", "--name", "x", "--url", "http://a", "--interval", "5q"], "interval"),
        (["claim", "abc", "--user", "a"], "invalid int value"),
        (["claim", "999999", "--user", "a"], "does not exist"),
        (["resolve", "1", "--user", "a", "--outcome", "bribe"], "invalid choice"),
        (["source", "enable", "missing"], "no source 'missing'"),
        (["user", "add", "bob", "--password-stdin"], "at least 8 characters"),
        (["bogus"], "invalid choice"),
    ],
)
def test_bad_input_gives_one_clear_line_and_non_zero_exit(bb_env, args, message):
    result = bb(*args, stdin="short\n")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr


def test_invalid_setting_is_named_at_start_up(bb_env):
    result = bb("mention", "list", env={"BOUNCEBACK_CLAIM_TTL_MINUTES": "soon"})
    assert result.returncode == 2
    assert "BOUNCEBACK_CLAIM_TTL_MINUTES" in result.stderr and "Traceback" not in result.stderr


def test_every_subcommand_has_help():
    from bounceback.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        result = bb(name, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout, name
