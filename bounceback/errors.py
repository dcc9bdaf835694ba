"""Typed errors that tell the caller what happened and what to do next."""

from __future__ import annotations


class BouncebackError(Exception):
    """Base of every error bounceback reports to a person (one clear line, no traceback)."""


class NotFound(BouncebackError):
    """The mention, source, user … does not exist."""


class AlreadyClaimed(BouncebackError):
    """Someone else holds the claim; ``holder`` says who."""

    def __init__(self, mention_id: int, holder: str) -> None:
        super().__init__(f"mention {mention_id} is already claimed by {holder}")
        self.mention_id = mention_id
        self.holder = holder


class VersionConflict(BouncebackError):
    """The item changed since the caller read it; reload and try again."""

    def __init__(self, mention_id: int, expected: int, actual: int) -> None:
        super().__init__(
            f"mention {mention_id} changed since you loaded it (your version {expected}, "
            f"now {actual}); reload and try again"
        )
        self.mention_id = mention_id
        self.expected = expected
        self.actual = actual


class InvalidTransition(BouncebackError):
    """The action does not apply to the item's current state."""


class InvalidInput(BouncebackError):
    """A value given by a person or a caller is not acceptable."""


class UnsafeURL(InvalidInput):
    """A URL points at a private, loopback or link-local address and that is not allowed."""
