"""Calling `sentiment.triage.triage` with quiet defaults (no rating, no spread), for the triage tests."""

from datetime import datetime

from sentiment.base import Prediction
from sentiment.triage import Verdict, triage


def triage_at(now: datetime, text: str, prediction: Prediction | None, **kw: object) -> Verdict:
    """Triage ``text`` at ``now`` as a fresh post; ``kw`` overrides any argument."""
    args: dict[str, object] = dict(
        rating=None,
        threshold=0.6,
        model="builtin",
        viral_score=0.0,
        accelerating=False,
        reach=None,
        published_at=now,
        now=now,
    )
    args.update(kw)
    return triage(text, prediction, **args)  # type: ignore[arg-type]
