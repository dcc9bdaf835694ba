"""The spiders, one small file per source kind; ``SPIDERS`` maps a kind to its class, imported lazily."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from bounceback.errors import InvalidInput

if TYPE_CHECKING:
    from crawlers.base import SourceSpider

SPIDERS: dict[str, str] = {
    "reddit": "crawlers.spiders.reddit:RedditSpider",
    "hackernews": "crawlers.spiders.hackernews:HackerNewsSpider",
    "mastodon": "crawlers.spiders.mastodon:MastodonSpider",
    "bluesky": "crawlers.spiders.bluesky:BlueskySpider",
    "appstore": "crawlers.spiders.appstore:AppStoreSpider",
    "trustpilot": "crawlers.spiders.trustpilot:TrustpilotSpider",
    "schemaorg": "crawlers.spiders.schemaorg:SchemaOrgSpider",
    "feed": "crawlers.spiders.feed:FeedSpider",
}


def spider_class(kind: str) -> type[SourceSpider]:
    """The spider class for a source kind (raises `InvalidInput` for an unknown kind)."""
    ref = SPIDERS.get(kind)
    if ref is None:
        raise InvalidInput(f"no spider for source kind {kind!r}; known: {', '.join(sorted(SPIDERS))}")
    module, _, name = ref.partition(":")
    cls: type[SourceSpider] = getattr(importlib.import_module(module), name)
    return cls
