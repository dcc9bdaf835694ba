"""The three sentiment labels every backend maps onto."""

from __future__ import annotations

from typing import Final

LABELS: Final[tuple[str, str, str]] = ("negative", "neutral", "positive")
LABEL_TO_ID: Final[dict[str, int]] = {label: i for i, label in enumerate(LABELS)}
