"""`bounceback status [--json]`: health of sources, jobs, queues and outbox; non-zero when unhealthy."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bounceback.commands.output import print_table
from bounceback.status import collect


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `status`."""
    st = sub.add_parser("status", help="service health; exit status 1 when something is unhealthy")
    st.add_argument("--json", action="store_true", help="print one JSON object")
    st.set_defaults(func=_status)


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def _status(args: argparse.Namespace) -> int:
    status = collect()
    if args.json:
        print(json.dumps(status.as_dict(), default=str))
        return 0 if status.healthy else 1
    leader = f"{status.leader} (lease until {status.lease_expires_at:%H:%M:%S})" if status.leader else "none"
    print(f"scheduler leader: {leader}")
    print("\nsources:")
    print_table(
        [
            (
                s.id,
                s.name,
                s.kind,
                "yes" if s.enabled else "no",
                _ago(s.lag_seconds),
                s.consecutive_failures,
                "since " + s.incomplete_since.isoformat(timespec="seconds") if s.incomplete_since else "",
                (s.last_error or "")[:80],
            )
            for s in status.sources
        ],
        ["id", "name", "kind", "enabled", "lag", "failures", "incomplete", "last_error"],
    )
    print("\njobs (last run):")
    print_table(
        [
            (
                j.job,
                j.status,
                j.started_at.isoformat(timespec="seconds"),
                f"{j.seconds:.2f}s" if j.seconds is not None else "",
                " ".join(f"{k}={v}" for k, v in j.counts.items() if k != "pid"),
                (j.error or "")[:80],
            )
            for j in status.jobs
        ],
        ["job", "status", "started", "took", "counts", "error"],
    )
    backlog = f"{status.outbox_pending} pending"
    if status.outbox_pending:
        backlog += f" (oldest due {_ago(status.outbox_oldest_due_seconds)} ago)"
    print(f"\npending scores: {status.pending_scores}   outbox: {backlog}, {status.dead_alerts} dead")
    if status.healthy:
        print("\nhealthy")
        return 0
    print("\nUNHEALTHY:")
    for problem in status.problems:
        print(f"  - {problem}")
    return 1
