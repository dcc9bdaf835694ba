"""The one item every spider yields: a public mention in a platform-neutral shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class MentionItem:
    """One post, comment or review as a spider read it (the pipeline cleans and stores it).

    ``external_id`` is the platform's own stable id (unique per source). ``raw_ref`` points back to
    what was parsed (the page URL plus a JSON pointer or anchor), so a person can find the original.
    Counts are None when the platform does not give them; ``extra`` holds anything else worth keeping
    (a company's reply, an app version, a subreddit): stored in ``Mention.extra``, cleaned and
    size-capped by `crawlers.clean.clean_extra`.
    """

    source_id: int
    external_id: str
    text: str
    url: str | None = None
    title: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    author_followers: int | None = None
    author_url: str | None = None
    rating: float | None = None
    language: str | None = None
    published_at: datetime | None = None
    likes: int | None = None
    replies: int | None = None
    reposts: int | None = None
    score: int | None = None
    raw_ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def engagement(self) -> dict[str, int]:
        """The counts the platform gave, without the missing ones."""
        counts = {"likes": self.likes, "replies": self.replies, "reposts": self.reposts, "score": self.score}
        return {k: int(v) for k, v in counts.items() if v is not None}
