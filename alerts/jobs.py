"""The alerts stage's scheduled jobs (entry point ``bounceback.jobs``: alerts.jobs:jobs)."""

from __future__ import annotations

from typing import Any

from bounceback.plugins import JobSpec
from bounceback.settings import Settings

DIGEST_INTERVAL_SECONDS = 3600.0


def evaluate_job() -> dict[str, Any]:
    """Rules over new flags and incidents; delivers at once when it raised alerts (latency)."""
    from alerts.delivery import deliver
    from alerts.outbox import evaluate

    counts: dict[str, Any] = dict(evaluate())
    if counts.get("alerts"):
        counts["delivery"] = deliver()
    return counts


def deliver_job() -> dict[str, Any]:
    """One delivery pass over the due outbox rows."""
    from alerts.delivery import deliver

    return deliver()


def escalate_job() -> dict[str, Any]:
    """Escalate unclaimed flagged mentions past their SLA."""
    from alerts.escalation import escalate_overdue

    return dict(escalate_overdue())


def digest_job() -> dict[str, Any]:
    """Raise the digests of periods that just ended."""
    from alerts.digest import enqueue_digests

    return dict(enqueue_digests())


def jobs(settings: Settings) -> list[JobSpec]:
    """Evaluate, deliver and escalate every tick; digests hourly."""
    tick = float(settings.tick_seconds)
    return [
        JobSpec("alerts.evaluate", tick, func=evaluate_job),
        JobSpec("alerts.deliver", tick, func=deliver_job),
        JobSpec("alerts.escalate", tick, func=escalate_job),
        JobSpec("alerts.digest", DIGEST_INTERVAL_SECONDS, func=digest_job),
    ]
