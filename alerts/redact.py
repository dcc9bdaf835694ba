"""Keep secrets out of logs, error messages and listings."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

MASK = "***"


def redact_url(url: str) -> str:
    """``https://hooks.slack.com/services/T0/B0/XXXX`` → ``https://hooks.slack.com/***``.

    Keeps the scheme and host (enough to recognise the target), drops user info, path, query and
    fragment, where webhook tokens live.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    if not parts.scheme or not host:
        return MASK
    tail = f"/{MASK}" if (parts.path not in ("", "/") or parts.query or parts.fragment) else ""
    return f"{parts.scheme}://{host}{port}{tail}"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-trivial secret (and its URL's path) replaced by ``***``."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
