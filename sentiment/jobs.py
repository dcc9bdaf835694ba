"""The sentiment stage's scheduled jobs (entry point group ``bounceback.jobs``)."""

from __future__ import annotations

from typing import Any

from bounceback.plugins import JobSpec


def jobs(settings: Any) -> list[JobSpec]:
    """`score`: score pending mentions every tick (workers can loop it: `bounceback worker score`)."""
    from sentiment.service import run_score_job

    return [JobSpec(name="score", interval_seconds=float(settings.tick_seconds), func=run_score_job)]
