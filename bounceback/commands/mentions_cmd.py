"""`bounceback mention list` and the lifecycle verbs: claim, release, resolve, escalate, dismiss, reopen."""

from __future__ import annotations

import argparse
from typing import Any

from bounceback import lifecycle
from bounceback.commands.output import print_table
from bounceback.mentions import get_mention, list_mentions
from bounceback.types import MentionStatus, Outcome


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `mention` and the lifecycle verbs."""
    m = sub.add_parser("mention", help="stored mentions")
    msub = m.add_subparsers(dest="mention_command", metavar="ACTION", parser_class=type(m))
    msub.required = True
    lst = msub.add_parser("list", help="list mentions by priority")
    lst.add_argument("--status", action="append", choices=[s.value for s in MentionStatus])
    lst.add_argument("--limit", type=int, default=50)
    lst.set_defaults(func=_list)

    verbs = {
        "claim": "take a mention so nobody else works on it",
        "release": "put a claimed mention back on the queue",
        "resolve": "close a mention with an outcome",
        "escalate": "hand a mention to the supervisors",
        "dismiss": "close a mention that needs nothing",
        "reopen": "put a closed mention back on the queue",
    }
    for verb, text in verbs.items():
        p = sub.add_parser(verb, help=text)
        p.add_argument("mention", type=int, help="mention id")
        p.add_argument("--user", required=True, help="who is acting")
        if verb in ("resolve", "dismiss", "escalate", "reopen"):
            p.add_argument("--note", help="what was done or why")
            p.add_argument("--version", type=int, help="the version you saw (default: current)")
        if verb == "resolve":
            p.add_argument("--outcome", required=True, choices=[o.value for o in Outcome])
        if verb == "release":
            p.add_argument("--force", action="store_true", help="release someone else's claim")
        p.set_defaults(func=_act, verb=verb)


def _list(args: argparse.Namespace) -> int:
    rows = [
        (
            m.id,
            m.status,
            m.severity or "",
            round(m.priority, 2),
            m.sentiment or "",
            m.claimed_by or "",
            m.title or m.text,
        )
        for m in list_mentions(status=args.status, limit=args.limit)
    ]
    print_table(rows, ["id", "status", "severity", "priority", "sentiment", "claimed_by", "text"])
    return 0


def _act(args: argparse.Namespace) -> int:
    verb, mid, user = args.verb, args.mention, args.user
    version = getattr(args, "version", None)
    if version is None and verb in ("resolve", "dismiss"):
        version = get_mention(mid).version
    change: lifecycle.Change
    if verb == "claim":
        change = lifecycle.claim(mid, user)
    elif verb == "release":
        change = lifecycle.release(mid, user, force=args.force)
    elif verb == "resolve":
        change = lifecycle.resolve(mid, user, args.outcome, version=version or 0, note=args.note)
    elif verb == "dismiss":
        change = lifecycle.dismiss(mid, user, version=version or 0, note=args.note)
    elif verb == "escalate":
        change = lifecycle.escalate(mid, user, note=args.note, version=version)
    else:
        change = lifecycle.reopen(mid, user, note=args.note, version=version)
    print(f"mention {change.mention_id}: {change.status} by {change.actor} (version {change.version})")
    return 0
