"""`bounceback user add|list`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bounceback.commands.output import print_table
from bounceback.errors import InvalidInput
from bounceback.types import Role
from bounceback.users import add_user, list_users


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the `user` command."""
    u = sub.add_parser("user", help="dashboard users")
    usub = u.add_subparsers(dest="user_command", metavar="ACTION", parser_class=type(u))
    usub.required = True
    add = usub.add_parser("add", help="add a user (password from a prompt or --password-stdin)")
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in Role], default="agent")
    add.add_argument("--name", dest="display_name", help="display name")
    add.add_argument("--email")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=_add)
    lst = usub.add_parser("list", help="list users")
    lst.set_defaults(func=_list)


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise InvalidInput("the passwords differ")
    return password


def _add(args: argparse.Namespace) -> int:
    user = add_user(
        args.username,
        _read_password(args.password_stdin),
        args.role,
        display_name=args.display_name,
        email=args.email,
    )
    print(f"user {user.username!r} added as {user.role}")
    return 0


def _list(args: argparse.Namespace) -> int:
    rows = [(u.username, u.role, u.display_name or "", "yes" if u.active else "no") for u in list_users()]
    print_table(rows, ["username", "role", "name", "active"])
    return 0
