"""Alerts benchmark: delivery throughput and mention-stored → Slack-message latency.

    .venv/bin/python benchmarks/alerts.py [--db sqlite|postgres] [--alerts 2000] [--mentions 20]

1. Throughput: N flagged mentions → `evaluate` → delivery passes to a local webhook receiver
   (ThreadingHTTPServer answering 200), each alert its own signed message; prints alerts/second.
2. Latency: starts the real scheduler (`bounceback run --tick 10`) and stores mentions as a crawler
   would (status ``new``, clearly negative text) at random moments; the sentiment stage scores and flags
   them, the alerts jobs evaluate and deliver to a Slack incoming webhook served locally. Prints p50/p95
   of stored → message received. The group window is 0 here (each mention its own message): with
   storm control on, later mentions of a group wait for the window by design.
   If the scheduler cannot start, the benchmark drives evaluate + deliver itself on a 10 s tick over
   pre-flagged mentions and says so.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NEGATIVE = [
    "Absolutely furious, {brand} charged me twice and support ignores me. I want a refund now.",
    "{brand} is a scam, the order never arrived and nobody answers. Talking to my lawyer.",
    "Worst experience ever with {brand}: app crashed, lost my data, cancelling my subscription.",
    "Terrible service from {brand}, waited 3 weeks, still no refund. Never again.",
]


class Receiver:
    """A local HTTP receiver that answers 200 and notes when each request arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.arrivals.append((time.time(), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def make_database(kind: str, workdir: Path) -> tuple[str, Any]:
    """A fresh migrated database URL and a cleanup callable."""
    from bounceback.db import make_engine
    from bounceback.migrate import upgrade

    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"

        def cleanup() -> None:
            pass
    else:
        name = f"bb_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name

        def cleanup() -> None:
            from bounceback.db import dispose_engines

            dispose_engines()
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url, cleanup


def configure(url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """Point this process (and children) at the database; returns the environment."""
    from bounceback.db import dispose_engines
    from bounceback.settings import get_settings

    env = {
        "BOUNCEBACK_DATABASE_URL": url,
        "BOUNCEBACK_DATA_DIR": str(workdir / "data"),
        "BOUNCEBACK_ALLOW_PRIVATE_URLS": "true",
        "BOUNCEBACK_WEBHOOK_SECRET": "bench-secret",
        "BOUNCEBACK_ALERT_GROUP_WINDOW_SECONDS": "0",
        "BOUNCEBACK_DASHBOARD_URL": "http://localhost:8501",
        **extra,
    }
    os.environ.update(env)
    get_settings.cache_clear()
    dispose_engines()
    return {**os.environ, **env}


def throughput(count: int) -> tuple[float, float, int]:
    """(evaluate alerts/s, deliver alerts/s, alerts received)."""
    from alerts.channels import add_channel
    from alerts.delivery import deliver
    from alerts.outbox import evaluate
    from alerts.rules import add_rule
    from alerts.sql import SRC, M
    from bounceback.db import get_engine
    from bounceback.mentions import mention_rows
    from bounceback.types import utcnow

    engine = get_engine()
    receiver = Receiver()
    try:
        add_channel("bench-hook", "webhook", {"url": receiver.url, "timeout": 5}, test=False)
        add_rule("bench-all", "bench-hook", {"event": "flagged"})
        now = utcnow()
        with engine.begin() as conn:
            source_id = conn.execute(
                insert(SRC)
                .values(
                    kind="feed",
                    name="bench",
                    params={},
                    interval_seconds=900,
                    enabled=False,
                    created_at=now,
                    state={},
                    consecutive_failures=0,
                )
                .returning(SRC.c.id)
            ).scalar_one()
            conn.execute(
                insert(M),
                mention_rows(
                    {
                        "source_id": source_id,
                        "external_id": f"tp-{n}",
                        "status": "open",
                        "severity": "high",
                        "sentiment": "negative",
                        "text": NEGATIVE[n % len(NEGATIVE)].format(brand="Acme"),
                        "flagged_at": now - timedelta(seconds=1),
                        "flag_reasons": ["negative"],
                        "fetched_at": now,
                        "priority": 1.0,
                    }
                    for n in range(count)
                ),
            )
        started = time.perf_counter()
        made = evaluate(now=utcnow())["alerts"]
        evaluated = time.perf_counter() - started
        started = time.perf_counter()
        delivered = 0
        while True:
            counts = deliver()
            delivered += counts["delivered"]
            if counts["claimed"] == 0:
                break
        took = time.perf_counter() - started
        return made / evaluated, delivered / took, len(receiver.arrivals)
    finally:
        receiver.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(env: dict[str, str], mentions: int, spread: float, tick: int, workdir: Path) -> None:
    """Store mentions as a crawler would while the scheduler runs; time until Slack gets each."""
    from alerts.channels import add_channel
    from alerts.rules import add_rule
    from alerts.sql import SRC, M
    from bounceback.db import get_engine
    from bounceback.mentions import mention_rows
    from bounceback.types import utcnow

    engine = get_engine()
    slack = Receiver()
    add_channel("bench-slack", "slack", {"webhook_url": slack.url + "/services/T0/B0/bench"}, test=False)
    add_rule("bench-slack-all", "bench-slack", {"event": "flagged"})
    with engine.begin() as conn:
        source_id = conn.execute(
            insert(SRC)
            .values(
                kind="feed",
                name="bench-latency",
                params={},
                interval_seconds=86400,
                enabled=False,
                created_at=utcnow(),
                state={},
                consecutive_failures=0,
            )
            .returning(SRC.c.id)
        ).scalar_one()
    log = (workdir / "scheduler.log").open("w")
    scheduler = subprocess.Popen(
        [str(Path(sys.executable).with_name("bounceback")), "run", "--tick", str(tick)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stored: dict[int, float] = {}
    mode = "scheduler (`bounceback run`)"
    try:
        time.sleep(min(5.0, tick / 2))  # let it take the lead and run its first tick
        if scheduler.poll() is not None:
            raise RuntimeError("the scheduler exited at start")

        def store(n: int) -> int:
            now = utcnow()
            with engine.begin() as conn:
                return int(
                    conn.execute(
                        insert(M)
                        .values(
                            mention_rows(
                                [
                                    dict(
                                        source_id=source_id,
                                        external_id=f"lat-{n}",
                                        text=NEGATIVE[n % len(NEGATIVE)].format(brand="Acme"),
                                        fetched_at=now,
                                    )
                                ]
                            )[0]
                        )
                        .returning(M.c.id)
                    ).scalar_one()
                )

        # warm-up: the first mention pays for loading the model; measured apart
        warm_id, warm_at = store(-1), time.time()
        warm_deadline = warm_at + 300
        while time.time() < warm_deadline and warm_id not in _arrived(slack):
            time.sleep(0.5)
        cold = _arrived(slack).get(warm_id)
        print(
            f"[sqlite] cold start (first mention, model loading): {cold - warm_at:.1f} s"
            if cold
            else "[sqlite] cold start: the first mention never arrived within 300 s"
        )
        rng = random.Random(7)
        moments = sorted(rng.uniform(0, spread) for _ in range(mentions))
        t0 = time.time()
        for n, at in enumerate(moments):
            time.sleep(max(0.0, t0 + at - time.time()))
            stored[store(n)] = time.time()
        deadline = time.time() + 6 * tick + 60
        while time.time() < deadline and not set(stored) <= set(_arrived(slack)):
            time.sleep(0.5)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        try:
            scheduler.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(scheduler.pid, signal.SIGKILL)
        log.close()
        slack.close()
    arrived = _arrived(slack)
    waits = [arrived[m] - stored[m] for m in stored if m in arrived]
    with engine.connect() as conn:
        flagged_at = dict(conn.execute(select(M.c.id, M.c.flagged_at).where(M.c.id.in_(list(stored)))).all())
    alerts_share = [
        arrived[m] - flagged_at[m].timestamp() for m in stored if m in arrived and flagged_at.get(m)
    ]
    print(
        f"[sqlite] latency mode: {mode}, tick {tick} s, "
        f"{mentions} mentions stored as 'new' over {spread:.0f} s"
    )
    print(f"  messages received for {len(waits)}/{len(stored)} mentions")
    if waits:
        print(
            f"  stored → Slack message: p50 {statistics.median(waits):.1f} s, "
            f"p95 {_percentile(waits, 0.95):.1f} s, max {max(waits):.1f} s (target p95 ≤ 30 s)"
        )
    if alerts_share:
        print(
            "  of which flagged (sentiment done) → Slack message (the alerts stage): "
            f"p50 {statistics.median(alerts_share):.1f} s, p95 {_percentile(alerts_share, 0.95):.1f} s"
        )
    if len(waits) < len(stored):
        print(f"  not flagged or not delivered: see {workdir / 'scheduler.log'} (kept)")


def _arrived(receiver: Receiver) -> dict[int, float]:
    out: dict[int, float] = {}
    with receiver.lock:
        for when, body in receiver.arrivals:
            for found in re.findall(rb"item\?id=(\d+)", body):
                out.setdefault(int(found), when)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--mentions", type=int, default=20)
    parser.add_argument("--spread", type=float, default=90.0, help="seconds over which mentions are stored")
    parser.add_argument("--tick", type=int, default=10)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    kinds = [] if args.skip_throughput else ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for kind in kinds:
        workdir = Path(tempfile.mkdtemp(prefix=f"bb-alerts-bench-{kind}-"))
        url, cleanup = make_database(kind, workdir)
        try:
            configure(url, workdir)
            evaluated, delivered, received = throughput(args.alerts)
            print(
                f"[{kind}] throughput: {args.alerts} alerts, evaluate {evaluated:,.0f} alerts/s, "
                f"deliver {delivered:,.0f} alerts/s to the local webhook (received {received})"
            )
        finally:
            cleanup()
            shutil.rmtree(workdir, ignore_errors=True)
    if not args.skip_latency:
        workdir = Path(tempfile.mkdtemp(prefix="bb-alerts-latency-"))
        url, cleanup = make_database("sqlite", workdir)
        try:
            env = configure(url, workdir, BOUNCEBACK_TICK_SECONDS=str(args.tick))
            latency(env, args.mentions, args.spread, args.tick, workdir)
        finally:
            cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
