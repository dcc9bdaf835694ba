"""`bounceback db upgrade|current`."""

from __future__ import annotations

import argparse
from typing import Any

from bounceback.db import get_engine
from bounceback.migrate import current_revision, upgrade


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the `db` command."""
    db = sub.add_parser("db", help="database schema")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", parser_class=type(db))
    dbsub.required = True
    up = dbsub.add_parser("upgrade", help="migrate the database to the latest schema")
    up.add_argument("--revision", default="head", help="target revision (default: head)")
    up.set_defaults(func=_upgrade)
    cur = dbsub.add_parser("current", help="print the schema revision")
    cur.set_defaults(func=_current)


def _upgrade(args: argparse.Namespace) -> int:
    engine = get_engine()
    upgrade(engine, args.revision)
    print(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")
    return 0


def _current(args: argparse.Namespace) -> int:
    print(current_revision(get_engine()) or "empty (run `bounceback db upgrade`)")
    return 0
