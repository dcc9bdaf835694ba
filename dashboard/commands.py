"""`bounceback dashboard`: serve the Streamlit dashboard."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_command(port: int, address: str, headless: bool) -> list[str]:
    """The `streamlit run` command line for the dashboard."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true" if headless else "false",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


def run(args: argparse.Namespace) -> int:
    """Become the Streamlit server (exec), so signals and the exit code are streamlit's own."""
    command = streamlit_command(args.port, args.address, args.headless)
    sys.stdout.flush()
    os.execv(command[0], command)  # noqa: S606 (fixed argv, no shell)
    return 0  # not reached


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `bounceback dashboard` to the CLI."""
    parser = subparsers.add_parser("dashboard", help="serve the care team's dashboard (Streamlit)")
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    parser.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--headless", action="store_true", help="do not open a browser")
    parser.set_defaults(func=run)
