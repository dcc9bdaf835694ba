"""`bounceback run` (the scheduler daemon) and `bounceback worker JOB` (scale-out workers)."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from types import FrameType
from typing import Any

from bounceback.errors import InvalidInput
from bounceback.scheduler import Scheduler
from bounceback.settings import get_settings
from bounceback.worker import find_job, run_worker


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `run` and `worker`."""
    run = sub.add_parser("run", help="run the scheduler: crawl, score, alert, expire, purge (one leader)")
    run.add_argument(
        "--tick", type=int, help="seconds between frequent job runs (default: BOUNCEBACK_TICK_SECONDS)"
    )
    run.add_argument("--grace", type=float, default=20.0, help="seconds jobs get to finish on SIGTERM")
    run.add_argument(
        "--log-format", choices=["text", "json"], default=argparse.SUPPRESS, help="log line format"
    )
    run.set_defaults(func=_run)

    worker = sub.add_parser("worker", help="an extra worker looping one stage job, e.g. score or deliver")
    worker.add_argument("job", help="the job to loop: score (sentiment) or deliver (alerts), or any job name")
    worker.add_argument(
        "--idle", type=float, help="seconds to wait after a run that found nothing (default: tick)"
    )
    worker.add_argument("--max-runs", type=int, help="stop after this many runs")
    worker.add_argument(
        "--log-format", choices=["text", "json"], default=argparse.SUPPRESS, help="log line format"
    )
    worker.set_defaults(func=_worker)


def _apply_tick(tick: int | None) -> None:
    if tick is not None:
        if tick < 1:
            raise InvalidInput("--tick must be at least 1 second")
        os.environ["BOUNCEBACK_TICK_SECONDS"] = str(tick)  # subprocess jobs and stage code read it too
        get_settings.cache_clear()


def _run(args: argparse.Namespace) -> int:
    _apply_tick(args.tick)
    scheduler = Scheduler(get_settings(), grace_seconds=args.grace)
    scheduler.install_signal_handlers()
    return scheduler.serve()


def _worker(args: argparse.Namespace) -> int:
    settings = get_settings()
    spec = find_job(args.job, settings)
    stop = threading.Event()

    def _handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    idle = args.idle if args.idle is not None else float(settings.tick_seconds)
    run_worker(spec, idle_seconds=idle, stop=stop, max_runs=args.max_runs)
    return 0
