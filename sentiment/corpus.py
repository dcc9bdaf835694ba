"""Reading labelled JSONL corpora and cutting them into length-grouped batches."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sentiment.labels import LABEL_TO_ID

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sentiment"
BRAND_CARE = Path(__file__).resolve().parent / "data" / "brand_care.jsonl"
BRAND_CARE_MORE = Path(__file__).resolve().parent / "data" / "brand_care_more.jsonl"


@dataclass(frozen=True)
class Example:
    """One labelled text."""

    text: str
    label: str
    source: str


def read_jsonl(path: Path, limit: int | None = None) -> list[Example]:
    """Read `{"text", "label", "source"}` rows; unknown labels raise ValueError with the line number."""
    rows: list[Example] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["label"] not in LABEL_TO_ID:
                raise ValueError(f"{path}:{number}: unknown label {row['label']!r}")
            rows.append(Example(str(row["text"]), row["label"], str(row.get("source", path.stem))))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, seed: int, pool_batches: int = 50
) -> list[list[int]]:
    """Shuffle, sort within pools of `pool_batches` batches by length, then shuffle the batch order.

    Texts of similar length share a batch, so dynamic padding wastes little compute, while the
    order stays random enough for SGD. Deterministic for a given seed.
    """
    rng = random.Random(seed)  # noqa: S311 (shuffling, not security)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * pool_batches
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Batches for inference: indices sorted by length (callers restore the order)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def label_counts(examples: Iterable[Example]) -> dict[str, int]:
    """How many examples carry each label."""
    counts: dict[str, int] = {}
    for example in examples:
        counts[example.label] = counts.get(example.label, 0) + 1
    return counts
