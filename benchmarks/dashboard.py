"""Dashboard speed with 100,000 mentions in SQLite: queue first render, trends render, claim p95.

    .venv/bin/python -m benchmarks.dashboard [--mentions 100000] [--claims 300]

Server-side times: the page scripts run through streamlit's AppTest (what `streamlit run` executes
for a browser, minus the websocket), logged in as an agent (queue) and as marketing (trends), with
Streamlit's caches cold. Claim latency is `dashboard.queries.queue.claim_item` (what the Claim button
calls), sequentially and with 8 agents at once. Targets: first render <= 1 s, claim p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

REPO = Path(__file__).resolve().parent.parent
SEVERITIES = ["critical", "high", "medium", "low"]
QUEUE = ["open", "open", "open", "escalated", "reopened", "claimed"]
CLOSED = ["resolved", "resolved", "dismissed"]
WORDS = [
    "late",
    "delivery",
    "refund",
    "charged",
    "twice",
    "app",
    "crashes",
    "checkout",
    "error",
    "support",
    "login",
    "broken",
]


def seed(url: str, n: int) -> list[int]:
    """Bulk-insert ``n`` mentions with authors, sources, watches and incidents; returns open ids."""
    from bounceback.db import get_engine
    from bounceback.mentions import mention_rows
    from bounceback.migrate import upgrade
    from bounceback.tables import Author, Incident, Mention, Source, User, Watch
    from bounceback.types import utcnow

    engine = get_engine(url)
    upgrade(engine)
    now = utcnow()
    rnd = random.Random(42)
    with engine.begin() as conn:
        for i, kind in enumerate(["reddit", "appstore", "trustpilot"]):
            conn.execute(
                insert(Source.__table__).values(
                    kind=kind,
                    name=f"{kind}-bench",
                    params={},
                    interval_seconds=900,
                    enabled=True,
                    created_at=now,
                    state={},
                    consecutive_failures=0,
                    last_success_at=now - timedelta(minutes=i),
                )
            )
        for username, role in (("agent1", "agent"), ("mary", "marketing")):  # sessions are set directly
            conn.execute(
                insert(User.__table__).values(
                    username=username, role=role, password_hash="!", active=True, created_at=now
                )
            )
        for name in ("Acme", "Acme Pay"):
            conn.execute(
                insert(Watch.__table__).values(
                    name=name, terms=[name], exclude_terms=[], languages=[], enabled=True, created_at=now
                )
            )
        conn.execute(
            insert(Author.__table__),
            [
                dict(
                    platform="reddit",
                    handle=f"user{i}",
                    display_name=f"User {i}",
                    followers=rnd.randint(0, 50000),
                    first_seen_at=now,
                    erased=False,
                )
                for i in range(20000)
            ],
        )
        conn.execute(
            insert(Incident.__table__),
            [
                dict(
                    title=f"incident {i}",
                    status="open" if i % 3 else "resolved",
                    severity="high",
                    mention_count=0,
                    opened_at=now - timedelta(days=rnd.random() * 90),
                    last_seen_at=now,
                    centroid=[],
                    keywords=["checkout"],
                    source_ids=[1],
                    version=1,
                )
                for i in range(200)
            ],
        )
    rows = []
    for i in range(n):
        when = now - timedelta(days=rnd.random() * 90)
        flagged = rnd.random() < 0.45
        status = rnd.choice(QUEUE if rnd.random() < 0.5 else CLOSED) if flagged else "scored"
        severity = rnd.choice(SEVERITIES) if flagged else None
        resolved = when + timedelta(hours=rnd.random() * 48) if status in ("resolved", "dismissed") else None
        claimed_first = (
            when + timedelta(minutes=rnd.random() * 120) if resolved or status == "claimed" else None
        )
        text = " ".join(rnd.choice(WORDS) for _ in range(25))
        rows.append(
            dict(
                source_id=rnd.randint(1, 3),
                external_id=f"m{i}",
                author_id=rnd.randint(1, 20000),
                watch_id=rnd.randint(1, 2),
                incident_id=rnd.randint(1, 200) if flagged and rnd.random() < 0.1 else None,
                title=text[:60],
                text=text,
                rating=float(rnd.randint(1, 5)) if rnd.random() < 0.3 else None,
                language="en",
                published_at=when,
                fetched_at=when,
                updated_at=when,
                status=status,
                severity=severity,
                priority=rnd.random() if flagged else 0.0,
                viral_score=rnd.random(),
                reach=rnd.randint(0, 50000),
                sentiment="negative"
                if flagged or rnd.random() < 0.1
                else rnd.choice(["positive", "neutral"]),
                confidence=rnd.random(),
                flag_reasons=["negative"] if flagged else [],
                flagged_at=when if flagged else None,
                sla_due_at=when + timedelta(hours=1) if flagged else None,
                first_claimed_at=claimed_first,
                claimed_by="someone" if status == "claimed" else None,
                claimed_at=claimed_first if status == "claimed" else None,
                resolved_at=resolved,
                outcome=rnd.choice(["apologised", "fixed", "compensated"]) if status == "resolved" else None,
            )
        )
    rows = mention_rows(rows)
    table = Mention.__table__
    with engine.begin() as conn:
        for start in range(0, n, 10000):
            conn.execute(insert(table), rows[start : start + 10000])
        return [
            r[0] for r in conn.execute(select(table.c.id).where(table.c.status.in_(["open", "reopened"])))
        ]


def _script_seconds() -> list[float]:
    """Collects Streamlit's own measure of each script run (page_profile.exec_time, microseconds)."""
    from streamlit.testing.v1 import local_script_runner as lsr

    seen: list[float] = []
    original = lsr.LocalScriptRunner.run

    def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        tree = original(self, *args, **kwargs)
        for msg in self.forward_msg_queue._queue:
            if msg.WhichOneof("type") == "page_profile":
                seen.append((msg.page_profile.exec_time + msg.page_profile.prep_time) / 1e6)
        return tree

    lsr.LocalScriptRunner.run = run  # type: ignore[method-assign]
    return seen


def render_times(runs: int) -> tuple[list[float], list[float]]:
    """Server-side seconds of the queue's and the trends page's first render in a new session.

    Streamlit's caches are cleared before each run, so every run reads the database afresh.
    """
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bounceback.types import Role, utcnow
    from dashboard.access import SESSION_KEY, SessionUser

    seen = _script_seconds()
    queue, trends = [], []
    for _ in range(runs):
        for user, title, out in (("agent1", "Queue", queue), ("mary", "Trends", trends)):
            st.cache_data.clear()
            role = Role.agent if title == "Queue" else Role.marketing
            at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=120)
            at.session_state[SESSION_KEY] = SessionUser(user, role, user, utcnow())
            at.run()
            assert not at.exception and at.title[0].value == title, at.exception
            out.append(seen[-1])
    return queue, trends


def claim_latencies(ids: list[int], claims: int, workers: int) -> list[float]:
    """Milliseconds per claim_item call, ``workers`` agents claiming random queue items at once."""
    from dashboard.queries.queue import claim_item

    pool = random.Random(7).sample(ids, min(len(ids), claims))
    lock = threading.Lock()
    times: list[float] = []

    def one(i: int) -> None:
        started = time.perf_counter()
        claim_item(pool[i % len(pool)], f"agent{i % max(workers, 1)}")
        with lock:
            times.append((time.perf_counter() - started) * 1000)

    with ThreadPoolExecutor(max_workers=workers) as ex:
        list(ex.map(one, range(claims)))
    return times


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main() -> None:
    """Seed, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bb-dash-bench-")
    url = f"sqlite:///{tmp}/bench.db"
    os.environ["BOUNCEBACK_DATABASE_URL"] = url
    os.environ["BOUNCEBACK_DATA_DIR"] = tmp
    started = time.perf_counter()
    ids = seed(url, args.mentions)
    print(
        f"seeded {args.mentions:,} mentions ({len(ids):,} claimable) in {time.perf_counter() - started:.1f} s"
    )
    queue, trends = render_times(args.runs + 1)
    print("server-side script time of a new session's first render (caches cleared before each):")
    for name, times, target in (("queue", queue, "   target <= 1000 ms"), ("trends", trends, "")):
        print(
            f"  {name:6}: {times[0] * 1000:6.0f} ms in a fresh process (imports included); "
            f"then median of {args.runs}: {statistics.median(times[1:]) * 1000:.0f} ms{target}"
        )
    half = len(ids) // 2
    seq = claim_latencies(ids[:half], args.claims, 1)
    par = claim_latencies(ids[half:], args.claims, 8)
    print(f"claim latency, 1 agent:  p50 {statistics.median(seq):6.1f} ms  p95 {p95(seq):6.1f} ms  (<= 300)")
    print(f"claim latency, 8 agents: p50 {statistics.median(par):6.1f} ms  p95 {p95(par):6.1f} ms")


if __name__ == "__main__":
    main()
