"""The digest's summary table (volume, sentiment, top complaints, recovery times) as rows."""

from __future__ import annotations

from typing import Any


def _minutes(value: Any) -> str:
    if value is None:
        return "-"
    minutes = float(value)
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def summary_rows(digest: dict[str, Any]) -> list[tuple[str, str]]:
    """(metric, value) rows of a digest payload."""
    sentiment = digest.get("sentiment") or {}
    recovery = digest.get("recovery") or {}
    outcomes = digest.get("outcomes") or {}
    rows = [
        ("Period", f"{digest.get('start', '')} to {digest.get('end', '')}"),
        ("Mentions", str(digest.get("volume", 0))),
        (
            "Negative / neutral / positive",
            "{} / {} / {}".format(
                sentiment.get("negative", 0), sentiment.get("neutral", 0), sentiment.get("positive", 0)
            ),
        ),
        ("Flagged for care", str(digest.get("flagged", 0))),
        ("Resolved", str(recovery.get("resolved", 0))),
        ("Median time to claim", _minutes(recovery.get("median_minutes_to_claim"))),
        ("Median time to resolve", _minutes(recovery.get("median_minutes_to_resolve"))),
        ("90th percentile time to resolve", _minutes(recovery.get("p90_minutes_to_resolve"))),
    ]
    if outcomes:
        rows.append(("Outcomes", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))))
    return rows


def top_rows(digest: dict[str, Any]) -> list[dict[str, Any]]:
    """The top complaints of the period (each a small mention payload with ``link``)."""
    return list(digest.get("top") or [])


def digest_lines(digest: dict[str, Any]) -> list[str]:
    """The digest as aligned plain-text lines."""
    rows = summary_rows(digest)
    width = max(len(label) for label, _ in rows)
    lines = [f"{label.ljust(width)}  {value}" for label, value in rows]
    top = top_rows(digest)
    if top:
        lines += ["", "Top complaints:"]
        for n, item in enumerate(top, 1):
            text = " ".join(str(item.get("excerpt", "")).split())[:160]
            lines.append(f"{n}. [{str(item.get('severity') or '').upper()}] {item.get('source', '')}: {text}")
            if item.get("link"):
                lines.append(f"   {item['link']}")
    return lines
