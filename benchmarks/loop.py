"""The whole loop at volume: 10,000 mentions from the replay server through crawl, score and alert
evaluation, with `bounceback run` doing the work (nothing here calls a job).

    .venv/bin/python -m benchmarks.loop [--mentions 10000] [--tick 5] [--pg [URL]] [--timeout 900]

It first works out, from the replay's own sample (same size and seed), what the crawl must store:
every mention the sources can reach (the App Store feed reaches only the newest 10 pages of 50 reviews
per country, as Apple's does) that the watch does not rule out (off-topic "Northwind Traders" posts),
and grows the sample until that is at least ``--mentions``. Then it starts the replay server
(``python -m crawlers.replay``, every item already published), registers its sources (one per stream:
the Mastodon hashtag source is left out, its statuses are the Mastodon search's again), the demo's
watch and a webhook channel on a local receiver, with an explicit page budget large enough for a
first crawl to read each stream's whole backlog, and runs the scheduler until every stored mention is
scored and the rules have been evaluated after the last score. It checks, and exits 1 otherwise,
that every source stored exactly what it should, that the crawls' filtered counts are the watch's
exclusions, that no crawl failed or stopped at its page budget, that every mention was scored and
that rule evaluation ran after the last flag. It prints a per-source accounting, per stage the
mentions handled, busy seconds (sum of its job runs), wall span and rates, when each stage finished,
the whole loop's wall time (target on this 2-core machine: ≤ 3 minutes) and the load average.
The tick is the demo's 5 s: the alerts stage evaluates 4 times per tick and each evaluation re-reads
its 15-minute overlap, so at a 2 s tick evaluation takes a large share of the scheduler's CPU.
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
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from bounceback.db import make_engine
from bounceback.demo_sinks import Inbox, WebhookSink
from bounceback.migrate import upgrade
from bounceback.sources import add_source
from bounceback.tables import Alert, CrawlRun, JobRun, Mention, Score, Source, SourceCreate, Watch
from bounceback.types import UTCDateTime, utcnow
from bounceback.watches import add_watch
from crawlers.items import MentionItem
from crawlers.replay import APPSTORE_MAX_PAGE, APPSTORE_PER_PAGE, demo_sources
from crawlers.sample import build_sample
from crawlers.watching import WatchRule

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_SECONDS = 180.0
PAGE_BUDGET = 1000  # per stream: far above the deepest backlog (Trustpilot, 20 reviews a page)
SEED = 7
WATCH: tuple[str, list[str], list[str]] = (
    "northwind",
    ["Northwind Coffee", "Northwind", "@northwindcoffee"],
    ["Northwind Traders", "Northwind Sailing"],
)
# the same statuses as northwind-mastodon: stored as duplicates (never scored), so left out of the counts
LEFT_OUT = {"northwind-mastodon-tag"}
M, J, CR = Mention.__table__, JobRun.__table__, CrawlRun.__table__  # type: ignore[attr-defined]
AL, S, SC = Alert.__table__, Source.__table__, Score.__table__  # type: ignore[attr-defined]
UNSCORED = select(func.count()).where(M.c.scored_at.is_(None), M.c.status != "duplicate")  # copies never are


@dataclass
class Plan:
    """What the crawls must do with a sample of ``size`` mentions, per platform (= source kind)."""

    size: int
    total: Counter[str]  # in the sample
    unreachable: Counter[str]  # beyond a platform's own paging limit
    excluded: Counter[str]  # reachable, ruled out by the watch
    to_store: Counter[str]


def expected(size: int, seed: int = SEED) -> Plan:
    """The accounting for a sample of ``size``: what the sources reach and the watch keeps."""
    rule = WatchRule.from_watch(Watch(id=1, name=WATCH[0], terms=WATCH[1], exclude_terms=WATCH[2]))
    plan = Plan(size, Counter(), Counter(), Counter(), Counter())
    for platform, items in build_sample(size, seed).by_platform.items():
        reachable = items
        if platform == "appstore":  # newest first, 10 pages of 50 per country store
            per_country: dict[str, list[Any]] = {}
            for m in reversed(items):
                per_country.setdefault(m.extra["country"], []).append(m)
            reachable = [
                m for ms in per_country.values() for m in ms[: APPSTORE_PER_PAGE * APPSTORE_MAX_PAGE]
            ]
        plan.total[platform] = len(items)
        plan.unreachable[platform] = len(items) - len(reachable)
        for m in reachable:
            item = MentionItem(source_id=0, external_id="", text=m.text, title=m.title, language=m.language)
            (plan.to_store if rule.match(item) else plan.excluded)[platform] += 1
    return plan


def plan_for(target: int, seed: int = SEED) -> Plan:
    """The smallest sample (searched from ``target`` up) whose crawls must store at least ``target``."""
    size = target
    plan = expected(size, seed)
    while sum(plan.to_store.values()) < target:  # grow by the shortfall, then step back while it holds
        size += target - sum(plan.to_store.values())
        plan = expected(size, seed)
    while size > target and sum((smaller := expected(size - 1, seed)).to_store.values()) >= target:
        size, plan = size - 1, smaller
    return plan


def _utc(value: Any) -> datetime:
    """A datetime column's value as an aware UTC datetime (SQLite hands back naive strings)."""
    when = UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]
    assert when is not None
    return when


def _seconds(row: Any) -> float:
    return (_utc(row.finished_at) - _utc(row.started_at)).total_seconds()


def _start_replay(size: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    out = log.open("wb")
    # --speed makes the sample's upcoming items (10 % of it) visible within a second or two
    argv = [sys.executable, "-m", "crawlers.replay", "--port", "0", "--mentions", str(size)]
    argv += ["--seed", str(SEED), "--speed", "5000"]
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = re.search(r"http://127\.0\.0\.1:\d+", log.read_text())
        if match:  # its clock has started: the upcoming 10 % (≤ 0.4 s away at this speed) appear
            time.sleep(1)  # before the first crawl
            return proc, match.group(0)
        if proc.poll() is not None:
            raise SystemExit(f"replay server failed: {log.read_text()[-500:]}")
        time.sleep(0.2)
    raise SystemExit("replay server did not start")


def _register(
    env: dict[str, str], engine: Any, base_url: str, hook: WebhookSink
) -> dict[int, tuple[str, str]]:
    sources = {}
    for item in demo_sources(base_url):
        if item["name"] not in LEFT_OUT:
            source = add_source(SourceCreate(**{**item, "interval_seconds": 3600}), engine=engine)
            sources[int(source.id or 0)] = (item["name"], item["kind"])
    add_watch(WATCH[0], WATCH[1], WATCH[2], engine=engine)
    argv = [sys.executable, "-m", "bounceback.cli", "channel", "add", "bench-hook", "--kind", "webhook"]
    result = subprocess.run([*argv, "--url", hook.url], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"channel add failed: {result.stderr.strip()}")
    return sources


def _finished(engine: Any, sources: set[int]) -> bool:
    """Every source crawled, every mention scored, a rule evaluation started after the last score."""
    with engine.connect() as conn:
        runs = conn.execute(select(CR.c.source_id, CR.c.status)).all()
        if {r.source_id for r in runs if r.status != "running"} != sources:
            return False
        if any(r.status == "running" for r in runs):
            return False
        if conn.execute(UNSCORED).scalar_one():
            return False
        return bool(_evaluated_after_scoring(_job_rows(conn, "score"), _job_rows(conn, "alerts.evaluate")))


def _evaluated_after_scoring(score_jobs: list[Any], eval_jobs: list[Any]) -> list[Any]:
    """The evaluation runs that started after the last score run that took mentions had committed."""
    last_score = max((_utc(r.finished_at) for r in score_jobs if (r.counts or {}).get("taken")), default=None)
    return [r for r in eval_jobs if r.status == "ok" and last_score and _utc(r.started_at) > last_score]


def _job_rows(conn: Any, job: str) -> list[Any]:
    query = select(J.c.started_at, J.c.finished_at, J.c.counts, J.c.status).where(J.c.job == job)
    return [r for r in conn.execute(query).all() if r.finished_at is not None]


def _stage(rows: list[Any], key: str) -> tuple[int, float, datetime | None, datetime | None]:
    """(items, busy seconds, first start, last end) over the runs of a job that handled any."""
    busy_rows = [r for r in rows if int((r.counts or {}).get(key, 0) or 0) > 0]
    n = sum(int(r.counts[key]) for r in busy_rows)
    first = min((_utc(r.started_at) for r in busy_rows), default=None)
    last = max((_utc(r.finished_at) for r in busy_rows), default=None)
    return n, sum(_seconds(r) for r in busy_rows), first, last


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:7.1f}/s" if seconds > 0 else "      -  "


def _accounting(conn: Any, plan: Plan, sources: dict[int, tuple[str, str]], problems: list[str]) -> int:
    """Print, per platform, what the sample holds, what the crawls reach, exclude and store."""
    runs = conn.execute(select(CR)).all()
    per_source = dict(conn.execute(select(M.c.source_id, func.count()).group_by(M.c.source_id)).all())
    kinds = {kind for _, kind in sources.values()}
    print(
        f"\n{'platform':<12}{'sources':>8}{'runs':>6}{'pages':>7}{'in sample':>11}{'beyond paging':>15}"
        f"{'excluded':>10}{'to store':>10}{'stored':>8}"
    )
    for kind in sorted(kinds | set(plan.total)):
        ids = [sid for sid, (_, k) in sources.items() if k == kind]
        mine = [r for r in runs if r.source_id in ids]
        stored = sum(per_source.get(sid, 0) for sid in ids)
        print(
            f"{kind:<12}{len(ids):>8}{len(mine):>6}{sum(r.pages for r in mine):>7}{plan.total[kind]:>11}"
            f"{plan.unreachable[kind]:>15}{plan.excluded[kind]:>10}{plan.to_store[kind]:>10}{stored:>8}"
        )
        if stored != plan.to_store[kind]:
            problems.append(f"{kind}: stored {stored}, expected {plan.to_store[kind]}")
    for r in runs:
        name = sources.get(r.source_id, (str(r.source_id), ""))[0]
        if r.status != "ok":
            problems.append(f"{name}: crawl {r.status}: {r.errors}")
        if r.pages >= PAGE_BUDGET:
            problems.append(f"{name}: a crawl read {r.pages} pages, its whole budget ({PAGE_BUDGET})")
    total = sum(per_source.values())
    print(
        f"{'total':<12}{len(sources):>8}{len(runs):>6}{sum(r.pages for r in runs):>7}"
        f"{sum(plan.total.values()):>11}{sum(plan.unreachable.values()):>15}"
        f"{sum(plan.excluded.values()):>10}{sum(plan.to_store.values()):>10}{total:>8}"
    )
    return total


def report(engine: Any, plan: Plan, sources: dict[int, tuple[str, str]], start: datetime) -> list[str]:
    """Print the accounting and the stages; returns what does not add up (empty when all is well)."""
    problems: list[str] = []
    with engine.connect() as conn:
        stored = _accounting(conn, plan, sources, problems)
        runs = [r for r in conn.execute(select(CR)).all() if r.finished_at is not None]
        crawl_jobs = _job_rows(conn, "crawl")
        score_jobs = _job_rows(conn, "score")
        eval_jobs = _job_rows(conn, "alerts.evaluate")
        unscored = conn.execute(UNSCORED).scalar_one()
        left_new = conn.execute(select(func.count()).where(M.c.status == "new")).scalar_one()
        with_score = conn.execute(select(func.count(func.distinct(SC.c.mention_id)))).scalar_one()
        flagged = conn.execute(select(func.count()).where(M.c.flagged_at.is_not(None))).scalar_one()
        alerts = conn.execute(select(func.count()).select_from(AL)).scalar_one()
    crawled = Counter[str]()
    for row in crawl_jobs:
        crawled.update({k: v for k, v in (row.counts or {}).items() if isinstance(v, int)})
    keys = ("new", "updated", "unchanged", "parked", "filtered", "skipped", "parse_failures")
    print("crawl job counts: " + ", ".join(f"{k} {crawled[k]}" for k in keys))
    if crawled["filtered"] != sum(plan.excluded.values()):
        problems.append(
            f"the crawls filtered {crawled['filtered']}, the watch excludes {sum(plan.excluded.values())}"
        )
    if stored != sum(plan.to_store.values()):
        problems.append(f"{stored} mentions stored, expected {sum(plan.to_store.values())}")
    if unscored or left_new:
        problems.append(f"{unscored} mentions not scored ({left_new} still new)")
    evaluated_after = _evaluated_after_scoring(score_jobs, eval_jobs)
    if not evaluated_after:
        problems.append("no rule evaluation ran after the last mention was scored")

    crawl_first = min((_utc(r.started_at) for r in runs), default=None)
    crawl_last = max((_utc(r.finished_at) for r in runs), default=None)
    n_score, busy_score, first_score, last_score = _stage(score_jobs, "taken")
    _, busy_eval, first_eval, _ = _stage(eval_jobs, "mentions")
    eval_done = min((_utc(r.finished_at) for r in evaluated_after), default=None)
    whole = ((eval_done or last_score or crawl_last or start) - start).total_seconds()
    print(
        f"\n{'stage':<18}{'mentions':>9}{'busy s':>8}{'per busy s':>12}{'wall s':>8}{'per wall s':>12}"
        f"{'from s':>8}{'done at s':>10}"
    )
    stages = [
        ("crawl (processes)", stored, sum(_seconds(r) for r in runs), crawl_first, crawl_last),
        ("score", n_score, busy_score, first_score, last_score),
        ("alert evaluation", flagged, busy_eval, first_eval, eval_done),
    ]
    for label, n, busy, first, last in stages:
        span = (last - first).total_seconds() if first and last else 0.0
        since = (first - start).total_seconds() if first else 0.0
        until = (last - start).total_seconds() if last else 0.0
        print(
            f"{label:<18}{n:>9}{busy:>8.1f}{_rate(n, busy):>12}{span:>8.1f}{_rate(n, span):>12}"
            f"{since:>8.1f}{until:>10.1f}"
        )
    print(
        "  crawl busy s: the crawl processes' run times added up (they run 2 at once); alert evaluation:\n"
        "  the flagged mentions over the busy time of the evaluation runs that read any; times from the\n"
        "  scheduler's start"
    )
    print(
        f"\nscored {stored - unscored} of {stored} ({with_score} by the model, {stored - with_score} "
        f"flagged for a person: language not supported); flagged {flagged}; alerts {alerts}"
    )
    print(
        f"whole loop: {stored} mentions crawled, scored and evaluated in {whole:.1f} s wall "
        f"({stored / whole if whole else 0:.1f} mentions/s; target ≤ {TARGET_SECONDS:.0f} s for 10,000)"
    )
    return problems


def run(target: int, tick: int, pg: str | None, timeout: float, keep: bool) -> int:
    """Run the benchmark once and print its figures; 0 when every mention was accounted for."""
    plan = plan_for(target)
    unreachable, excluded = sum(plan.unreachable.values()), sum(plan.excluded.values())
    print(
        f"sample of {plan.size} mentions (seed {SEED}): {unreachable} beyond the App Store's 10 pages per "
        f"country, {excluded} ruled out by the watch, {sum(plan.to_store.values())} to store"
    )
    work = Path(tempfile.mkdtemp(prefix="bb-loop-"))
    dbname = None
    if pg:
        dbname = f"bb_bench_{uuid.uuid4().hex[:8]}"
        with create_engine(pg, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"CREATE DATABASE {dbname}"))
        url = pg.rsplit("/", 1)[0] + "/" + dbname
    else:
        url = f"sqlite:///{work / 'bounceback.db'}"
    env = {**os.environ, "BOUNCEBACK_DATA_DIR": str(work), "BOUNCEBACK_DATABASE_URL": url}
    env.update(BOUNCEBACK_ALLOW_PRIVATE_URLS="true", BOUNCEBACK_EXTRA_JOBS="")
    env["BOUNCEBACK_CRAWL_MAX_PAGES"] = str(PAGE_BUDGET)
    os.environ.update(env)
    engine = make_engine(url)
    upgrade(engine)
    hook = WebhookSink(Inbox(work / "inbox"), lambda _t: None).start()
    replay, base_url = _start_replay(plan.size, work / "replay.log")
    scheduler: subprocess.Popen[bytes] | None = None
    load_before = os.getloadavg()
    try:
        sources = _register(env, engine, base_url, hook)
        print(
            f"replay {base_url}; {len(sources)} sources; page budget {PAGE_BUDGET} per stream; "
            f"crawl delay {os.environ.get('BOUNCEBACK_CRAWL_DELAY_SECONDS', '1 (default)')} s; tick {tick} s"
            f"\n(left out: {', '.join(sorted(LEFT_OUT))}); database {url}; logs in {work}"
        )
        start = utcnow()
        with (work / "run.log").open("wb") as out:
            scheduler = subprocess.Popen(
                [sys.executable, "-m", "bounceback.cli", "run", "--tick", str(tick)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = time.monotonic()
        while not _finished(engine, set(sources)):
            if time.monotonic() - started > timeout:
                print(f"timed out after {timeout:.0f} s; the scheduler's log: {work / 'run.log'}")
                break
            time.sleep(0.5)
        problems = report(engine, plan, sources, start)
        load_after = os.getloadavg()
        print(
            f"load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/"
            f"{load_before[2]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f} "
            f"on {os.cpu_count()} CPUs; webhook messages received {hook.received}"
        )
        for problem in problems:
            print(f"MISMATCH: {problem}")
        if not problems:
            print(f"OK: all {sum(plan.to_store.values())} mentions stored, scored and evaluated")
        return 1 if problems else 0
    finally:
        for proc in (scheduler, replay):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        hook.stop()
        engine.dispose()
        if pg and dbname and not keep:
            with create_engine(pg, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))


def main() -> int:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=10_000, help="at least this many to store")
    parser.add_argument(  # the demo's tick; the alerts stage evaluates 4 times per tick
        "--tick", type=int, default=5, help="the scheduler's tick in seconds (default 5, as the demo)"
    )
    parser.add_argument("--pg", nargs="?", const=PG_ADMIN, help="run on PostgreSQL (admin URL)")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    args = parser.parse_args()
    return run(args.mentions, args.tick, args.pg, args.timeout, args.keep)


if __name__ == "__main__":
    sys.exit(main())
