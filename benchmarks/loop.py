"""The whole loop at volume: 10,000 mentions from the replay server through crawl, score and alert
evaluation, with `bounceback run` doing the work (nothing here calls a job).

    .venv/bin/python -m benchmarks.loop [--mentions 10000] [--tick 2] [--pg URL] [--timeout 900]

Starts the replay server (``python -m crawlers.replay``) with the sample at full size and every item
already published, registers its sources, a watch and a webhook channel (a local receiver), then runs
the scheduler and watches the database until every stored mention is scored and the rules have been
evaluated past the last flag. Prints, per stage, mentions per second over the stage's busy time (the
sum of its job runs) and over its wall span, and the whole loop's wall time. Target on this 2-core
machine: ≤ 3 minutes for the 10,000.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from bounceback.db import make_engine
from bounceback.demo_sinks import Inbox, WebhookSink
from bounceback.migrate import upgrade
from bounceback.tables import Alert, CrawlRun, JobRun, Mention, Source, SourceCreate
from bounceback.types import UTCDateTime

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
M = Mention.__table__  # type: ignore[attr-defined]
J = JobRun.__table__  # type: ignore[attr-defined]
CR = CrawlRun.__table__  # type: ignore[attr-defined]
AL = Alert.__table__  # type: ignore[attr-defined]
S = Source.__table__  # type: ignore[attr-defined]


def _utc(value: Any) -> datetime | None:
    return UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]


def _bb(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bounceback.cli", *args], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"bounceback {' '.join(args)} failed: {result.stderr.strip()}")


def _start_replay(mentions: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    out = log.open("wb")
    # --speed makes the sample's upcoming items (10 % of it) visible within a second or two
    argv = [
        sys.executable,
        "-m",
        "crawlers.replay",
        "--port",
        "0",
        "--mentions",
        str(mentions),
        "--speed",
        "5000",
    ]
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = re.search(r"http://127\.0\.0\.1:\d+", log.read_text())
        if match:
            return proc, match.group(0)
        if proc.poll() is not None:
            raise SystemExit(f"replay server failed: {log.read_text()[-500:]}")
        time.sleep(0.2)
    raise SystemExit("replay server did not start")


def _register(env: dict[str, str], engine: Any, base_url: str, hook: WebhookSink) -> int:
    import json
    import urllib.request

    from bounceback.sources import add_source
    from bounceback.watches import add_watch

    with urllib.request.urlopen(f"{base_url}/demo/sources.json", timeout=10) as response:
        listed = json.load(response)
    for item in listed:
        add_source(SourceCreate(**{**item, "interval_seconds": 3600}), engine=engine)
    add_watch(
        "northwind",
        ["Northwind Coffee", "Northwind"],
        ["Northwind Traders", "Northwind Sailing"],
        engine=engine,
    )
    _bb(env, "channel", "add", "bench-hook", "--kind", "webhook", "--url", hook.url)
    return len(listed)


def _snapshot(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(M)).scalar_one()
        new = conn.execute(select(func.count()).where(M.c.status == "new")).scalar_one()
        running = conn.execute(select(func.count()).where(CR.c.status == "running")).scalar_one()
        sources_done = conn.execute(select(func.count()).where(S.c.last_crawl_at.is_not(None))).scalar_one()
        sources = conn.execute(select(func.count()).select_from(S)).scalar_one()
        finished = conn.execute(select(func.count()).where(CR.c.status != "running")).scalar_one()
        last_flag = _utc(conn.execute(select(func.max(M.c.flagged_at))).scalar_one())
        evaluated = conn.execute(
            select(func.max(J.c.started_at)).where(J.c.job == "alerts.evaluate", J.c.status == "ok")
        ).scalar_one()
    return {
        "stored": stored,
        "new": new,
        "crawled": running == 0 and sources_done == sources and finished >= sources,
        "last_flag": last_flag,
        "evaluated": _utc(evaluated),
    }


def _stage(engine: Any, job: str, count_key: str) -> tuple[int, float, float]:
    """(mentions handled, busy seconds = sum of run durations, wall span seconds) of a job."""
    with engine.connect() as conn:
        rows = conn.execute(select(J.c.started_at, J.c.finished_at, J.c.counts).where(J.c.job == job)).all()
    handled, busy, first, last = 0, 0.0, None, None
    for row in rows:
        if row.finished_at is None:
            continue
        n = int((row.counts or {}).get(count_key, 0) or 0)
        if not n:
            continue
        handled += n
        busy += (row.finished_at - row.started_at).total_seconds()
        first = row.started_at if first is None else min(first, row.started_at)
        last = row.finished_at if last is None else max(last, row.finished_at)
    span = (last - first).total_seconds() if first and last else 0.0
    return handled, busy, span


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.1f}/s" if seconds > 0 else "       -  "


def run(mentions: int, tick: int, pg: str | None, timeout: float) -> int:
    """Run the benchmark once and print its figures; returns 0 when the loop completed."""
    work = Path(tempfile.mkdtemp(prefix="bb-loop-"))
    if pg:
        name = f"bb_bench_{uuid.uuid4().hex[:8]}"
        with create_engine(pg, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = pg.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{work / 'bounceback.db'}"
    env = {**os.environ, "BOUNCEBACK_DATA_DIR": str(work), "BOUNCEBACK_DATABASE_URL": url}
    env.update(
        BOUNCEBACK_ALLOW_PRIVATE_URLS="true", BOUNCEBACK_CRAWL_MAX_PAGES="2000", BOUNCEBACK_EXTRA_JOBS=""
    )
    os.environ.update(env)
    engine = make_engine(url)
    upgrade(engine)
    hook = WebhookSink(Inbox(work / "inbox"), lambda _t: None).start()
    replay, base_url = _start_replay(mentions, work / "replay.log")
    scheduler: subprocess.Popen[bytes] | None = None
    try:
        n_sources = _register(env, engine, base_url, hook)
        print(f"replay server {base_url} with {mentions} mentions; {n_sources} sources; database {url}")
        with (work / "run.log").open("wb") as out:
            scheduler = subprocess.Popen(
                [sys.executable, "-m", "bounceback.cli", "run", "--tick", str(tick)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = time.monotonic()
        crawl_done = score_done = None
        while time.monotonic() - started < timeout:
            time.sleep(1.0)
            snap = _snapshot(engine)
            elapsed = time.monotonic() - started
            if crawl_done is None and snap["crawled"]:
                crawl_done = elapsed
            if crawl_done is not None and score_done is None and snap["new"] == 0:
                score_done = elapsed
            caught_up = snap["last_flag"] is None or (
                snap["evaluated"] is not None and snap["evaluated"] > snap["last_flag"]
            )
            if score_done is not None and caught_up:
                break
        else:
            print(f"timed out after {timeout:.0f}s: {snap}")
            return 1
        wall = time.monotonic() - started
        stored = snap["stored"]
        print(
            f"\nwhole loop: {stored} mentions stored, scored and evaluated in {wall:.1f} s wall "
            f"({stored / wall:.1f} mentions/s; target ≤ 180 s for 10,000)"
        )
        print(f"  crawl finished at {crawl_done:.1f} s, scoring at {score_done:.1f} s\n")
        print(f"{'stage':<18}{'mentions':>9}  {'per busy s':>12}  {'per wall s':>12}  busy s   wall s")
        for label, job, key in (
            ("crawl", "crawl", "new"),
            ("score", "score", "scored"),
            ("alert rules*", "alerts.evaluate", "mentions"),
        ):
            n, busy, span = _stage(engine, job, key)
            print(f"{label:<18}{n:>9}  {_rate(n, busy):>12}  {_rate(n, span):>12}  {busy:6.1f}   {span:6.1f}")
        with engine.connect() as conn:
            runs = conn.execute(select(CR.c.started_at, CR.c.finished_at, CR.c.items_new, CR.c.pages)).all()
            alerts = conn.execute(select(func.count()).select_from(AL)).scalar_one()
        crawl_busy = sum((r.finished_at - r.started_at).total_seconds() for r in runs if r.finished_at)
        crawl_new = sum(r.items_new for r in runs)
        print(
            f"crawl processes: {len(runs)} runs, {sum(r.pages for r in runs)} pages, "
            f"{crawl_new} new mentions in {crawl_busy:.1f} process-seconds "
            f"({_rate(crawl_new, crawl_busy).strip()} per process)"
        )
        with engine.connect() as conn:
            flagged = conn.execute(select(func.count()).where(M.c.flagged_at.is_not(None))).scalar_one()
        print("* rows the rule evaluation examined (it re-reads an overlap window, so more than stored)")
        print(
            f"\nflagged {flagged}; alerts in the outbox {alerts}; webhook messages received {hook.received}"
        )
        return 0
    finally:
        for proc in (scheduler, replay):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        hook.stop()
        engine.dispose()


def main() -> int:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=10_000)
    parser.add_argument("--tick", type=int, default=2)
    parser.add_argument("--pg", nargs="?", const=PG_ADMIN, help="run on PostgreSQL (admin URL)")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    return run(args.mentions, args.tick, args.pg, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
