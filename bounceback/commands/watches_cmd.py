"""`bounceback watch add|list`."""

from __future__ import annotations

import argparse
from typing import Any

from bounceback.commands.output import print_table
from bounceback.watches import add_watch, list_watches


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the `watch` command."""
    w = sub.add_parser("watch", help="brand terms to listen for")
    wsub = w.add_subparsers(dest="watch_command", metavar="ACTION", parser_class=type(w))
    wsub.required = True
    add = wsub.add_parser("add", help="add a watch")
    add.add_argument("name", help="unique name, e.g. the brand")
    add.add_argument("--term", action="append", required=True, help="a term to match (repeatable)")
    add.add_argument("--exclude", action="append", default=[], help="a term that rules a match out")
    add.add_argument("--language", action="append", default=[], help="ISO 639-1 code (repeatable)")
    add.set_defaults(func=_add)
    lst = wsub.add_parser("list", help="list watches")
    lst.set_defaults(func=_list)


def _add(args: argparse.Namespace) -> int:
    watch = add_watch(args.name, args.term, args.exclude, args.language)
    print(f"watch {watch.id} added: {watch.name!r} terms={watch.terms} excluding={watch.exclude_terms}")
    return 0


def _list(args: argparse.Namespace) -> int:
    rows = [
        (w.id, w.name, ", ".join(w.terms), ", ".join(w.exclude_terms), ", ".join(w.languages))
        for w in list_watches()
    ]
    print_table(rows, ["id", "name", "terms", "excluding", "languages"])
    return 0
