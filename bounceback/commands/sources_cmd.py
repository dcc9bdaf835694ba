"""`bounceback source add|list|enable|disable|remove`."""

from __future__ import annotations

import argparse
from typing import Any

from bounceback.commands.output import parse_duration, print_table
from bounceback.sources import add_source, list_sources, parse_params, remove_source, set_enabled
from bounceback.tables import SourceCreate
from bounceback.types import SourceKind

# Common parameters get their own flags; anything else goes through --param KEY=VALUE.
PARAM_FLAGS = ("query", "subreddit", "instance", "tag", "actor", "app_id", "country", "company", "url")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the `source` command."""
    src = sub.add_parser("source", help="places to crawl")
    ssub = src.add_subparsers(dest="source_command", metavar="ACTION", parser_class=type(src))
    ssub.required = True
    add = ssub.add_parser("add", help="add a source")
    add.add_argument("kind", choices=[k.value for k in SourceKind], help="source kind")
    add.add_argument("--name", required=True, help="unique name")
    for flag in PARAM_FLAGS:
        add.add_argument(f"--{flag.replace('_', '-')}", dest=flag, help=f"{flag} parameter")
    add.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="other parameter")
    add.add_argument("--interval", type=parse_duration, default=900, help="crawl interval, e.g. 15m")
    add.add_argument("--disabled", action="store_true", help="add without crawling yet")
    add.set_defaults(func=_add)
    lst = ssub.add_parser("list", help="list sources with their health")
    lst.set_defaults(func=_list)
    for action, func in (("enable", _enable), ("disable", _disable), ("remove", _remove)):
        p = ssub.add_parser(action, help=f"{action} a source")
        p.add_argument("source", help="source id or name")
        p.set_defaults(func=func)


def _add(args: argparse.Namespace) -> int:
    params = {f: getattr(args, f) for f in PARAM_FLAGS if getattr(args, f)}
    params.update(parse_params(args.param))
    source = add_source(
        SourceCreate(
            kind=args.kind,
            name=args.name,
            params=params,
            interval_seconds=args.interval,
            enabled=not args.disabled,
        )
    )
    print(f"source {source.id} added: {source.kind} {source.name!r}")
    return 0


def _list(args: argparse.Namespace) -> int:
    rows = [
        (
            s.id,
            s.kind,
            s.name,
            "yes" if s.enabled else "no",
            s.interval_seconds,
            s.last_success_at.isoformat(timespec="seconds") if s.last_success_at else "never",
            s.consecutive_failures,
            s.last_error or "",
        )
        for s in list_sources()
    ]
    print_table(rows, ["id", "kind", "name", "enabled", "every_s", "last_success", "failures", "last_error"])
    return 0


def _enable(args: argparse.Namespace) -> int:
    print(f"source {set_enabled(args.source, True).name!r} enabled")
    return 0


def _disable(args: argparse.Namespace) -> int:
    print(f"source {set_enabled(args.source, False).name!r} disabled")
    return 0


def _remove(args: argparse.Namespace) -> int:
    print(f"source {remove_source(args.source).name!r} removed")
    return 0
