"""What the item page's buttons do: thin, typed wrappers over bounceback.lifecycle.

Each returns an `ActionResult` with a sentence for the person instead of raising, because a page
shows the outcome rather than a traceback (a stale version, someone else holding the item …).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert

from bounceback import lifecycle
from bounceback.errors import AlreadyClaimed, BouncebackError, VersionConflict
from bounceback.tables import Correction
from bounceback.types import ActivityAction, utcnow
from dashboard.queries.common import engine_or_default
from dashboard.queries.queue import ActionResult, claim_item

__all__ = [
    "RELABELS",
    "ActionResult",
    "claim_item",
    "dismiss_item",
    "escalate_item",
    "record_reply",
    "relabel_item",
    "release_item",
    "reopen_item",
    "resolve_item",
    "set_follow_up",
]

RELABELS: dict[str, str] = {
    "not_negative": "Not negative",
    "not_about_us": "Not about us",
    "negative": "Negative",
    "positive": "Positive",
    "neutral": "Neutral",
}
_TEACHES = (
    "`bounceback model retrain` will use it (English texts only): a new model is trained with it (or "
    "tested on it: one correction in five is kept back for testing) and installed only if it does better "
    "than the current model on held-out data."
)
RETRAIN_NOTE: dict[str, str] = {  # what `bounceback model retrain` does with each label
    "negative": _TEACHES,
    "neutral": _TEACHES,
    "positive": _TEACHES,
    "not_negative": "Retraining cannot learn from it (neutral or positive?): choose Neutral or Positive "
    "to teach the model.",
    "not_about_us": "It is kept with the item; retraining skips it, since it says nothing about tone.",
}


def _run(action: Callable[[], Any], done: str) -> ActionResult:
    try:
        action()
    except AlreadyClaimed as exc:
        return ActionResult(False, f"{exc.holder} holds this item.", holder=exc.holder)
    except VersionConflict:
        return ActionResult(False, "Someone changed this item since you opened it; it has been reloaded.")
    except BouncebackError as exc:
        return ActionResult(False, str(exc))
    return ActionResult(True, done)


def release_item(
    mention_id: int, user: str, *, force: bool = False, engine: Engine | None = None
) -> ActionResult:
    """Give the item back to the queue."""
    return _run(
        lambda: lifecycle.release(mention_id, user, force=force, engine=engine), "Released to the queue."
    )


def escalate_item(mention_id: int, user: str, note: str, *, engine: Engine | None = None) -> ActionResult:
    """Hand the item to supervisors; a note saying why is required."""
    if not note.strip():
        return ActionResult(False, "Say why you escalate, so the next person needn't ask again.")
    return _run(lambda: lifecycle.escalate(mention_id, user, note=note.strip(), engine=engine), "Escalated.")


def resolve_item(
    mention_id: int,
    user: str,
    outcome: str,
    *,
    version: int,
    note: str | None = None,
    follow_up_at: datetime | None = None,
    engine: Engine | None = None,
) -> ActionResult:
    """Close the item with an outcome (and optionally plan a follow-up)."""
    return _run(
        lambda: lifecycle.resolve(
            mention_id,
            user,
            outcome,
            version=version,
            note=(note or "").strip() or None,
            follow_up_at=follow_up_at,
            engine=engine,
        ),
        f"Resolved: {outcome.replace('_', ' ')}.",
    )


def dismiss_item(
    mention_id: int, user: str, *, version: int, note: str | None = None, engine: Engine | None = None
) -> ActionResult:
    """Close the item as needing no action."""
    return _run(
        lambda: lifecycle.dismiss(mention_id, user, version=version, note=note, engine=engine), "Dismissed."
    )


def set_follow_up(
    mention_id: int, user: str, when: datetime, *, version: int, engine: Engine | None = None
) -> ActionResult:
    """Plan a follow-up with the customer."""
    return _run(
        lambda: lifecycle.set_follow_up(mention_id, user, when, version=version, engine=engine),
        f"Follow-up planned for {when:%Y-%m-%d}.",
    )


def reopen_item(
    mention_id: int, user: str, note: str | None = None, *, engine: Engine | None = None
) -> ActionResult:
    """Put a resolved or dismissed mention back on the queue (the customer came back)."""
    return _run(
        lambda: lifecycle.reopen(mention_id, user, note=(note or "").strip() or None, engine=engine),
        "Reopened: it is back on the queue.",
    )


def record_reply(
    mention_id: int, user: str, text: str, *, template: str | None = None, engine: Engine | None = None
) -> ActionResult:
    """Log the reply the agent sent (or is about to send) on the item."""
    return _run(
        lambda: lifecycle.add_note(
            mention_id,
            user,
            text,
            action=ActivityAction.replied,
            details={"template": template} if template else None,
            engine=engine,
        ),
        "Reply recorded.",
    )


def relabel_item(
    mention_id: int, user: str, label: str, *, note: str | None = None, engine: Engine | None = None
) -> ActionResult:
    """Store a correction of the model's verdict for `bounceback model retrain` (and log it)."""
    if label not in RELABELS:
        return ActionResult(False, f"Unknown label {label!r}.")
    table = Correction.__table__  # type: ignore[attr-defined]
    try:
        with engine_or_default(engine).begin() as conn:
            conn.execute(
                insert(table).values(
                    mention_id=mention_id, label=label, by=user, note=note, created_at=utcnow()
                )
            )
            lifecycle.log_activity(
                conn,
                ActivityAction.relabelled,
                user,
                mention_id=mention_id,
                note=note,
                details={"label": label},
            )
    except BouncebackError as exc:
        return ActionResult(False, str(exc))
    return ActionResult(True, f"Relabelled as “{RELABELS[label]}”. {RETRAIN_NOTE[label]}")
