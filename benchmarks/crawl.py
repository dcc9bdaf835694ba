"""Crawl throughput and crawler memory: every demo source against the replay server's 10,000 mentions.

    .venv/bin/python -m benchmarks.crawl [--mentions 10000] [--parallel 2] [--pg]

The replay server (crawlers/replay.py) serves the Northwind Coffee sample with its clock set so that
every mention is already published; each demo source is crawled once by the real entry point,
``python -m crawlers.run SOURCE_ID`` (one process per crawl, through Scrapy's downloader, the
politeness middlewares and the batched upsert), ``--parallel`` at a time, into a fresh SQLite file
(or a fresh PostgreSQL database with ``--pg``). Prints mentions stored per second and the peak RSS
of the largest crawler process (its VmHWM, sampled from /proc). Targets on this 2-core machine:
10,000 mentions stored in ≤ 60 s, peak RSS ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from bounceback.db import make_engine
from bounceback.migrate import upgrade
from bounceback.sources import add_source
from bounceback.tables import Mention, SourceCreate
from crawlers.replay import ReplayData, ReplayServer, demo_sources
from crawlers.sample import build_sample

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_SECONDS = 60.0
TARGET_RSS_MB = 300.0


def _vm_hwm_mb(pid: int) -> float:
    """Peak RSS so far (VmHWM) of a running process; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _crawl(source_id: int, env: dict[str, str]) -> dict[str, Any]:
    """One crawl process; its peak RSS is sampled from /proc every 50 ms (ru_maxrss would include
    the benchmark's own memory, which Linux carries over fork and exec)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawlers.run", str(source_id)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    peak = 0.0
    while True:
        peak = max(peak, _vm_hwm_mb(proc.pid))
        try:
            stdout, stderr = proc.communicate(timeout=0.05)
            break
        except subprocess.TimeoutExpired:
            if time.perf_counter() - started > 600:
                proc.kill()
    lines = stdout.strip().splitlines()
    summary = json.loads(lines[-1]) if lines else {"status": "crashed", "stderr": stderr[-500:]}
    summary["seconds"] = round(time.perf_counter() - started, 2)
    summary["peak_rss_mb"] = round(peak, 1)
    return summary


def run(mentions: int, parallel: int, url: str) -> dict[str, Any]:
    """Serve, register the demo sources, crawl them all; returns the measured figures."""
    future_window = 1800.0
    data = ReplayData(build_sample(mentions, 7), start=time.time() - future_window - 60)
    server = ReplayServer(data).start_background()
    engine = make_engine(url)
    upgrade(engine)
    ids = []
    for spec in demo_sources(server.url):
        ids.append(add_source(SourceCreate(**spec), engine=engine).id)
    env = {
        **os.environ,
        "BOUNCEBACK_DATABASE_URL": url,
        "BOUNCEBACK_ALLOW_PRIVATE_URLS": "true",
        "BOUNCEBACK_CRAWL_DELAY_SECONDS": "0",
        "BOUNCEBACK_CRAWL_MAX_PAGES": "1000",
        "BOUNCEBACK_LOG_LEVEL": "WARNING",
    }
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            results = list(pool.map(lambda sid: _crawl(sid, env), ids))
    finally:
        server.close()
    elapsed = time.perf_counter() - started
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(Mention)).scalar_one()
    engine.dispose()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "stored": stored,
        "seconds": elapsed,
        "peak_rss_mb": max(c["peak_rss_mb"] for c in results),
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "crawls": results,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crawl", description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=10_000)
    parser.add_argument("--parallel", type=int, default=2, help="crawl processes at a time (default 2)")
    parser.add_argument("--pg", action="store_true", help="store into a fresh PostgreSQL database")
    args = parser.parse_args(argv)
    pg_name = None
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        if args.pg:
            pg_name = f"bb_bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {pg_name}"))
            url = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_name
        try:
            figures = run(args.mentions, args.parallel, url)
        finally:
            if pg_name:
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))
                admin.dispose()
    for crawl in figures["crawls"]:
        keys = ("run_id", "status", "pages", "new", "errors", "seconds", "peak_rss_mb")
        print("  " + "  ".join(f"{k}={crawl.get(k)}" for k in keys))
    stored, seconds, peak = figures["stored"], figures["seconds"], figures["peak_rss_mb"]
    store = "postgresql" if args.pg else "sqlite"
    print(f"crawl benchmark ({store}, {args.mentions} sample mentions, {args.parallel} crawls at a time)")
    print(f"mentions stored: {stored} in {seconds:.1f} s = {stored / seconds:.0f} mentions/s")
    print(f"peak crawler RSS: {peak:.0f} MB")
    cpu = figures["cpu_seconds"]
    print(
        f"crawler CPU time: {cpu:.1f} s in all ({stored / cpu:.0f} mentions per CPU-second; "
        "the wall time above depends on what else the machine runs)"
    )
    ok_time = seconds <= TARGET_SECONDS and stored >= args.mentions * 0.95
    print(
        f"targets: ≤ {TARGET_SECONDS:.0f} s for {args.mentions} mentions: {'met' if ok_time else 'MISSED'}; "
        f"peak RSS ≤ {TARGET_RSS_MB:.0f} MB: {'met' if peak <= TARGET_RSS_MB else 'MISSED'}"
    )
    failed = [c for c in figures["crawls"] if c.get("status") != "ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
