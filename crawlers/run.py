"""One crawl of one source in this process: ``python -m crawlers.run SOURCE_ID [--timeout S]``.

Scrapy's reactor cannot restart, so a process runs exactly one crawl and exits. It opens a
``running`` CrawlRun, crawls, then closes the run with its counts and errors and updates the source's
health; its last line of output is a JSON object of the counts (the scheduler's job runner reads it).
Exit code 0 when the crawl succeeded, 1 when it failed (errors recorded), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from bounceback.db import get_engine
from bounceback.errors import BouncebackError, InvalidInput
from bounceback.settings import get_settings
from bounceback.sources import get_source
from bounceback.types import CrawlStatus
from crawlers.base import CrawlReport, SourceSpider
from crawlers.records import finish_run, start_run
from crawlers.resume import NOTE_KINDS
from crawlers.settings import scrapy_settings
from crawlers.spiders import spider_class

FATAL_KINDS = {"layout"}


@dataclass
class CrawlOutcome:
    """The result of one crawl, as recorded in its CrawlRun row."""

    run_id: int
    status: CrawlStatus
    counts: dict[str, int]
    errors: list[dict[str, Any]] = field(default_factory=list)
    close_reason: str = ""


def judge(report: CrawlReport, close_reason: str) -> tuple[CrawlStatus, str | None]:
    """ok or failed, and the error line for the source's health (a budget or resume note when alone)."""
    notes = [e for e in report.errors if e["kind"] in NOTE_KINDS]  # a real error goes first in the line
    first = next((e for e in report.errors if e["kind"] not in NOTE_KINDS), notes[0] if notes else None)
    line = f"{first['kind']}: {first['reason']}" if first else None
    if close_reason == "closespider_timeout":
        return CrawlStatus.failed, "timed out before the crawl finished"
    if close_reason not in ("finished", ""):
        return CrawlStatus.failed, f"crawl ended early: {close_reason}" + (f" ({line})" if line else "")
    fatal = [e for e in report.errors if e["kind"] in FATAL_KINDS or e.get("permanent")]
    if fatal:
        return CrawlStatus.failed, f"{fatal[0]['kind']}: {fatal[0]['reason']}"
    if report.errors and report.pages == 0:
        return CrawlStatus.failed, line
    if report.pages == 0:
        return CrawlStatus.failed, "no page was fetched"
    return CrawlStatus.ok, line


def crawl(source_id: int, *, timeout: float | None = None) -> CrawlOutcome:
    """Run one crawl of ``source_id`` in this process (call at most once per process)."""
    from scrapy.crawler import CrawlerProcess

    settings = get_settings()
    engine = get_engine()
    source = get_source(source_id, engine=engine)
    assert source.id is not None
    run_id = start_run(engine, source.id, os.getpid())
    try:
        spider_cls = spider_class(source.kind)
    except InvalidInput as exc:  # a kind without a spider (an optional extra not installed …)
        unknown = CrawlReport()
        unknown.error("config", str(exc))
        return _finish(engine, run_id, source.id, unknown, "", None)
    process = CrawlerProcess(scrapy_settings(settings, timeout=timeout))
    crawler = process.create_crawler(spider_cls)
    close: dict[str, str] = {}

    def _closed(spider: Any, reason: str) -> None:
        close["reason"] = reason

    from scrapy import signals

    crawler.signals.connect(_closed, signal=signals.spider_closed)
    report: CrawlReport | None = None
    new_state: dict[str, Any] | None = None
    try:
        process.crawl(crawler, source_id=source.id, run_id=run_id)
        process.start()
        spider = crawler.spider
        if isinstance(spider, SourceSpider):
            report = spider.report
            new_state = spider.next_state()
    except Exception as exc:  # the crawl itself broke: record it, never leave a "running" row
        report = report or CrawlReport()
        report.error("crash", f"{type(exc).__name__}: {exc}")
        close["reason"] = "crash"
    return _finish(engine, run_id, source.id, report or CrawlReport(), close.get("reason", ""), new_state)


def _finish(
    engine: Engine,
    run_id: int,
    source_id: int,
    report: CrawlReport,
    close_reason: str,
    new_state: dict[str, Any] | None,
) -> CrawlOutcome:
    if close_reason == "closespider_timeout":
        report.error("timeout", "the crawl reached its time limit and stopped; the rest waits for next time")
    if report.errors_dropped:
        report.errors.append({"kind": "more", "reason": f"{report.errors_dropped} more errors not kept"})
    status, line = judge(report, close_reason)
    counts = {
        "pages": report.pages,
        "new": report.new,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "parked": report.parked,
        "duplicate": report.duplicate,
        "filtered": report.filtered,
        "skipped": report.skipped,
        "parse_failures": report.parse_failures,
        "errors": len(report.errors),
    }
    finish_run(
        engine,
        run_id,
        source_id,
        status=status,
        counts=counts,
        errors=report.errors,
        new_state=new_state if status == CrawlStatus.ok else None,
        last_error=line,
    )
    return CrawlOutcome(run_id, status, counts, report.errors, close_reason)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: crawl once, print the counts as JSON, exit 0 (ok) or 1 (failed)."""
    parser = argparse.ArgumentParser(prog="python -m crawlers.run", description="Crawl one source once.")
    parser.add_argument("source", help="source id or name")
    parser.add_argument("--timeout", type=float, default=None, help="stop the crawl after S seconds")
    args = parser.parse_args(argv)
    try:
        source = get_source(args.source)
        assert source.id is not None
        outcome = crawl(source.id, timeout=args.timeout or get_settings().crawl_timeout_seconds)
    except BouncebackError as exc:
        print(f"crawl: error: {exc}", file=sys.stderr)
        return 2
    summary = {"run_id": outcome.run_id, "status": outcome.status.value, **outcome.counts}
    for error in outcome.errors[:5]:
        print(f"crawl: {error['kind']}: {error['reason']} {error.get('url', '')}".rstrip(), file=sys.stderr)
    print(json.dumps(summary), flush=True)
    return 0 if outcome.status == CrawlStatus.ok else 1


if __name__ == "__main__":
    sys.exit(main())
