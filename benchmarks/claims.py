"""Claim throughput and latency with 50 concurrent claimers, on SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.claims [--claimers 50] [--claims 2000] [--pg URL]

Each claimer picks random mentions from a shared pool (so claims collide as they would on a busy
queue) and calls `bounceback.lifecycle.claim`; winners and losers are both timed. Target on a
2-core machine: p95 ≤ 50 ms with 50 claimers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from bounceback import lifecycle
from bounceback.db import make_engine, normalise_url
from bounceback.errors import AlreadyClaimed, InvalidTransition
from bounceback.mentions import mention_rows
from bounceback.migrate import upgrade
from bounceback.tables import Mention, Source
from bounceback.types import utcnow

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _seed(url: str, mentions: int) -> list[int]:
    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    with engine.begin() as conn:
        source_id = conn.execute(
            insert(Source.__table__)
            .values(
                kind="feed",
                name="bench",
                params={},
                interval_seconds=900,
                enabled=True,
                created_at=now,
                state={},
                consecutive_failures=0,
            )
            .returning(Source.__table__.c.id)
        ).scalar_one()
        rows = mention_rows(
            dict(source_id=source_id, external_id=f"m{i}", text="late delivery", status="open")
            for i in range(mentions)
        )
        conn.execute(insert(Mention.__table__), rows)
        ids = [r[0] for r in conn.execute(text("SELECT id FROM mention"))]
    engine.dispose()
    return ids


def run(url: str, claimers: int, claims: int, think_ms: float = 0.0) -> dict[str, float]:
    """Time ``claims`` claim calls spread over ``claimers`` threads against ``url``.

    ``think_ms`` is the mean pause of a claimer between two claims (an agent reading the item);
    0 is saturation: every claimer hammers the database back to back.
    """
    ids = _seed(url, claims // 2)
    if url.startswith("sqlite"):
        engine = make_engine(url)
    else:  # one pooled connection per claimer, as 50 dashboard sessions would have
        engine = create_engine(normalise_url(url), pool_size=claimers, max_overflow=0)
    latencies: list[float] = []
    outcome = {"won": 0, "lost": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(claimers)
    rng = random.Random(7)
    plan = [[rng.choice(ids) for _ in range(claims // claimers)] for _ in range(claimers)]

    def claimer(n: int) -> None:
        barrier.wait()
        pace = random.Random(n)
        for mention_id in plan[n]:
            if think_ms:
                time.sleep(pace.expovariate(1000 / think_ms))
            start = time.perf_counter()
            try:
                lifecycle.claim(mention_id, f"agent{n}", engine=engine)
                kind = "won"
            except (AlreadyClaimed, InvalidTransition):
                kind = "lost"
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                outcome[kind] += 1

    wall = time.perf_counter()
    with ThreadPoolExecutor(claimers) as pool:
        list(pool.map(claimer, range(claimers)))
    wall = time.perf_counter() - wall
    engine.dispose()
    latencies.sort()
    return {
        "claims": len(latencies),
        "won": outcome["won"],
        "lost": outcome["lost"],
        "claims_per_s": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument(
        "--think-ms",
        type=float,
        nargs="+",
        default=[0.0, 100.0],
        help="mean pause between an agent's claims; 0 = saturation",
    )
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL admin URL (a scratch DB is created)")
    args = parser.parse_args()
    print(
        f"{args.claimers} concurrent claimers in one process, {args.claims} claims a run "
        "(target p95 <= 50 ms)"
    )
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    for think_ms in args.think_ms:
        label = f"think {think_ms:g} ms" if think_ms else "saturation (no think time)"
        with tempfile.TemporaryDirectory() as tmp:
            sqlite = run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.claimers, args.claims, think_ms)
        name = f"bb_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        try:
            pg = run(args.pg.rsplit("/", 1)[0] + "/" + name, args.claimers, args.claims, think_ms)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        for db, r in (("sqlite", sqlite), ("postgresql", pg)):
            print(
                f"{label:28s} {db:10s} {r['claims_per_s']:6.0f} claims/s  p50 {r['p50_ms']:6.1f} ms  "
                f"p95 {r['p95_ms']:6.1f} ms  won {r['won']}  lost {r['lost']}"
            )


if __name__ == "__main__":
    main()
