"""The item pipeline: watch filtering, cleaning, and batched upserts into the database.

Items are buffered and written in batches (by size, or once they have waited a second, and at the
end). A batch the database refuses is retried one mention at a time; a mention it
still refuses is stored parked with the database's reason and its text escaped, so nothing is lost.
"""

from __future__ import annotations

import logging
import time
from dataclasses import fields
from typing import Any, Self

from scrapy.crawler import Crawler
from sqlalchemy.exc import DBAPIError, StatementError
from twisted.internet.task import LoopingCall

from bounceback.db import get_engine
from crawlers.base import CrawlReport, SourceSpider
from crawlers.clean import PreparedMention, prepare
from crawlers.items import MentionItem
from crawlers.records import write_progress
from crawlers.store import UpsertCounts, store_batch
from crawlers.watching import WatchRule, load_watches, match_watches

log = logging.getLogger(__name__)
BATCH_SIZE = 200
FLUSH_EVERY_SECONDS = 1.0
COUNTED = tuple(f.name for f in fields(UpsertCounts))  # what a batch counts; the report sums them


class MentionPipeline:
    """Filters by Watch, cleans and upserts `MentionItem`s; counts go to the spider's report."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.buffer: list[PreparedMention] = []
        self.watches: list[WatchRule] = []
        self.last_flush = time.monotonic()
        self.ticker: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Scrapy's constructor hook."""
        return cls(crawler)

    @property
    def spider(self) -> SourceSpider:
        """The running spider (always a SourceSpider)."""
        spider = self.crawler.spider
        assert isinstance(spider, SourceSpider)
        return spider

    @property
    def report(self) -> CrawlReport:
        """The running crawl's report."""
        return self.spider.report

    def open_spider(self) -> None:
        """Load the enabled watches once per crawl; flush an idle buffer every second."""
        self.watches = load_watches(get_engine())
        self.ticker = LoopingCall(self._flush_if_idle)
        self.ticker.start(FLUSH_EVERY_SECONDS, now=False)

    def _flush_if_idle(self) -> None:
        if self.buffer and time.monotonic() - self.last_flush >= FLUSH_EVERY_SECONDS:
            self.flush()

    def process_item(self, item: Any) -> Any:
        """Filter, clean and buffer one item; flush when the batch is due."""
        if not isinstance(item, MentionItem):
            return item
        match = match_watches(self.watches, item)
        if match is None:
            self.report.filtered += 1
            return item
        watch_id, reason = match
        self.buffer.append(prepare(item, watch_id=watch_id, match_reason=reason))
        if len(self.buffer) >= BATCH_SIZE or time.monotonic() - self.last_flush >= FLUSH_EVERY_SECONDS:
            self.flush()
        return item

    def close_spider(self) -> None:
        """Write what is left."""
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        self.flush()

    def flush(self) -> None:
        """Upsert the buffered mentions (one transaction per batch)."""
        batch, self.buffer = self.buffer, []
        self.last_flush = time.monotonic()
        if not batch:
            return
        try:
            self._store(batch)
        except (DBAPIError, StatementError) as exc:
            log.warning("batch of %d refused (%s); storing one by one", len(batch), _first_line(exc))
            for mention in batch:
                self._store_one(mention)

    def _store(self, batch: list[PreparedMention]) -> None:
        """One transaction: the batch and the run's progress with it, so a crawl killed at any moment
        shows exactly what it stored; the report counts the batch once it is committed."""
        spider, report = self.spider, self.report
        with get_engine().begin() as conn:
            counts = store_batch(conn, spider.source_id, spider.source_kind, batch)
            if spider.run_id is not None:
                so_far = {key: getattr(report, key) + getattr(counts, key) for key in COUNTED}
                write_progress(conn, spider.run_id, {"pages": report.pages, **so_far})
        for key in COUNTED:
            setattr(report, key, getattr(report, key) + getattr(counts, key))

    def _store_one(self, mention: PreparedMention) -> None:
        try:
            self._store([mention])
            return
        except (DBAPIError, StatementError) as exc:
            reason = f"database refused it: {_first_line(exc)}"
            self.report.error("store", reason, mention.values.get("url"))
        safe = _escaped(mention, reason)
        try:
            self._store([safe])
        except (DBAPIError, StatementError) as exc:  # even escaped: say so loudly, never silently
            self.report.error("store", f"could not park {mention.external_id!r}: {_first_line(exc)}")


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).splitlines() or [type(exc).__name__])[0][:300]


def _escaped(mention: PreparedMention, reason: str) -> PreparedMention:
    """A copy whose texts are ASCII-escaped and whose author and extra are dropped, parked with ``reason``."""
    values = dict(mention.values)
    if values.get("extra"):
        values["extra"] = {"_trimmed": "dropped by bounceback: the database refused this mention"}
    for key in ("text", "title"):
        if values.get(key):
            values[key] = str(values[key]).encode("ascii", "backslashreplace").decode("ascii")
    return PreparedMention(
        external_id=mention.external_id.encode("ascii", "backslashreplace").decode("ascii")[:300],
        values=values,
        engagement=mention.engagement,
        author=None,
        parked_reasons=[*mention.parked_reasons, reason],
    )
