"""`bounceback score`, `bounceback rescore --since` and `bounceback model ...` (entry point group
``bounceback.commands``)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bounceback.commands.output import parse_duration
from bounceback.errors import InvalidInput
from bounceback.settings import get_settings
from bounceback.types import utcnow
from sentiment.model_commands import register as register_model


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `score`, `rescore` and `model`."""
    score = sub.add_parser("score", help="score pending mentions and flag the ones that need a person")
    score.add_argument("--batch-size", type=int, help="per batch (default: BOUNCEBACK_SCORE_BATCH_SIZE)")
    score.add_argument("--max-batches", type=int, help="stop after this many batches")
    score.add_argument("--classifier", help="backend to use instead of BOUNCEBACK_CLASSIFIER")
    score.add_argument("--no-incidents", action="store_true", help="skip grouping complaints into incidents")
    score.set_defaults(func=_score)

    rescore = sub.add_parser("rescore", help="score again with the current model, keeping the old scores")
    rescore.add_argument("--since", required=True, help="ISO date/time (UTC) or a duration back: 2h, 7d")
    rescore.add_argument("--batch-size", type=int)
    rescore.add_argument("--classifier", help="backend to use instead of BOUNCEBACK_CLASSIFIER")
    rescore.set_defaults(func=_rescore)
    register_model(sub)  # `model list | use | retrain`


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'2026-11-01', '2026-11-01T08:00' (UTC unless given) or a duration back from now ('7d')."""
    try:
        return (now or utcnow()) - timedelta(seconds=parse_duration(text))
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--since {text!r}: use an ISO date/time or a duration like 2h or 7d") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _score(args: argparse.Namespace) -> int:
    from sentiment.scoring import score_pending
    from sentiment.service import build_scorer

    settings = get_settings()
    scorer = build_scorer(settings, incidents=not args.no_incidents, classifier=args.classifier)
    counts = score_pending(
        scorer, batch_size=args.batch_size or settings.score_batch_size, max_batches=args.max_batches
    )
    print(json.dumps({"model": scorer.classifier.name, "revision": scorer.classifier.revision, **counts}))
    return 0


def _rescore(args: argparse.Namespace) -> int:
    from sentiment.scoring import rescore_since
    from sentiment.service import build_scorer

    settings = get_settings()
    since = parse_since(args.since)
    scorer = build_scorer(settings, incidents=False, classifier=args.classifier)
    counts = rescore_since(scorer, since, batch_size=args.batch_size or settings.score_batch_size)
    print(
        json.dumps(
            {
                "model": scorer.classifier.name,
                "revision": scorer.classifier.revision,
                "since": since.isoformat(),
                **counts,
            }
        )
    )
    return 0
