"""`bounceback demo`: the whole loop locally (what `make demo` runs)."""

from __future__ import annotations

import argparse
from typing import Any

from bounceback.demo import DemoOptions, run_demo


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `demo`."""
    demo = sub.add_parser("demo", help="run the whole loop locally on sample data (Ctrl-C stops it)")
    demo.add_argument("--tick", type=int, default=5, help="scheduler tick in seconds (default 5)")
    demo.add_argument("--port", type=int, default=8501, help="dashboard port (default 8501)")
    demo.add_argument("--no-dashboard", action="store_true", help="do not start the dashboard")
    demo.add_argument("--mentions", type=int, default=300, help="size of the sample (default 300)")
    demo.add_argument("--speed", type=float, default=6.0, help="upcoming mentions arrive this much faster")
    demo.add_argument("--duration", type=float, help="stop by itself after this many seconds")
    demo.add_argument("--summary-every", type=float, default=30.0, help="seconds between count lines")
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    options = DemoOptions(
        tick=args.tick,
        dashboard_port=args.port,
        dashboard=not args.no_dashboard,
        mentions=args.mentions,
        speed=args.speed,
        duration=args.duration,
        summary_every=args.summary_every,
    )
    return run_demo(options)
