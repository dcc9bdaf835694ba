"""``bounceback crawl SOURCE [--timeout S]``: one crawl in a child process with a time limit."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bounceback.settings import get_settings
from bounceback.sources import get_source


def _crawl(args: argparse.Namespace) -> int:
    from crawlers.launch import run_crawl_process

    source = get_source(args.source)
    assert source.id is not None
    timeout = float(args.timeout or get_settings().crawl_timeout_seconds)
    result = run_crawl_process(source.id, timeout)
    if result.error:
        print(f"crawl of {source.name}: {result.status}: {result.error}")
    print(json.dumps({"source": source.name, "status": result.status, **result.summary}))
    return 0 if result.status == "ok" else 1


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``crawl`` command to the bounceback CLI."""
    parser = subparsers.add_parser("crawl", help="crawl one source now (in its own process)")
    parser.add_argument("source", help="source id or name")
    parser.add_argument("--timeout", type=float, default=None, help="time limit in seconds")
    parser.set_defaults(func=_crawl)
