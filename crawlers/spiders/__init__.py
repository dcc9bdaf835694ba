"""The spiders, one small file per source kind; ``SPIDERS`` maps a kind to its class, imported lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bounceback.errors import InvalidInput
from bounceback.plugins import load_registered

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
    "googleplay": "crawlers.spiders.googleplay:GooglePlaySpider",
}
# kinds whose spider needs an optional extra: kind -> (package imported, extra to install)
OPTIONAL: dict[str, tuple[str, str]] = {"googleplay": ("google_play_scraper", "googleplay")}


def spider_class(kind: str) -> type[SourceSpider]:
    """The spider class for a source kind (raises `InvalidInput` for an unknown kind)."""
    try:
        cls: type[SourceSpider] = load_registered(SPIDERS, kind, "source kind")
    except ModuleNotFoundError as exc:
        package, extra = OPTIONAL.get(kind, ("", ""))
        if not package or (exc.name or "").partition(".")[0] != package:
            raise
        raise InvalidInput(
            f"the {kind} source needs the optional package {package.replace('_', '-')}: "
            f"pip install 'bounceback[{extra}]'"
        ) from None
    return cls
