"""`bounceback purge` (retention) and `bounceback forget AUTHOR` (erasure of one person)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bounceback.errors import InvalidInput
from bounceback.retention import find_author, forget_author, purge_expired
from bounceback.settings import get_settings


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `purge` and `forget`."""
    purge = sub.add_parser("purge", help="erase mention text and author details past the retention period")
    purge.add_argument("--days", type=int, help="retention in days (default: BOUNCEBACK_RETENTION_DAYS)")
    purge.set_defaults(func=_purge)
    forget = sub.add_parser("forget", help="erase one person everywhere (irreversible)")
    forget.add_argument("author", help="PLATFORM:HANDLE (e.g. reddit:someone) or an author id")
    forget.add_argument("--by", default="admin", help="who asked (kept in the activity log)")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    forget.set_defaults(func=_forget)


def _purge(args: argparse.Namespace) -> int:
    days = args.days if args.days is not None else get_settings().retention_days
    if days < 1:
        raise InvalidInput("--days must be at least 1")
    counts = purge_expired(days)
    print("purged " + ", ".join(f"{k}={v}" for k, v in counts.items()) + f" (older than {days} days)")
    return 0


def _forget(args: argparse.Namespace) -> int:
    author_id, platform, handle, _ = find_author(args.author)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InvalidInput("forget is irreversible: pass --yes to confirm")
        answer = input(f"erase {platform}:{handle} (author {author_id}) everywhere? type yes: ")
        if answer.strip().lower() != "yes":
            print("nothing erased")
            return 1
    counts = forget_author(str(author_id), actor=args.by)
    print(
        f"author {author_id} erased: {counts['mentions']} mentions blanked, "
        f"{counts['other_texts']} other texts edited"
    )
    return 0
