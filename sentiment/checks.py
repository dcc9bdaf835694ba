"""Model-selection checks that are not drawn from the training distribution.

- ``heldout_brand``: customer-to-brand messages written by the developers and never trained on
  (`sentiment/data/heldout_brand.jsonl`, see `sentiment/data/HELDOUT.md`).
- ``fixture_reviews``: the star-rated English reviews in ../shared/fixtures (App Store feeds,
  schema.org JSON-LD): 1-2 stars negative, 4-5 positive, 3 left out. Read in place, never copied.
- leave-one-source-out groups over ../shared/data/sentiment (`LOSO_GROUPS`): train without a group,
  test on it.

`python -m sentiment.checks OUT_DIR` writes each check as JSONL (for a training run on another machine).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sentiment.corpus import SHARED_DATA, Example, read_jsonl
from sentiment.labels import LABEL_TO_ID, LABELS
from sentiment.metrics import score

DATA_DIR = Path(__file__).resolve().parent / "data"
HELDOUT_BRAND = DATA_DIR / "heldout_brand.jsonl"
FIXTURES = SHARED_DATA.parents[1] / "fixtures"
LOSO_GROUPS: dict[str, tuple[str, ...]] = {
    "tweets (crowdflower)": ("crowdflower",),
    "vader (tweets, amazon, movies, nyt)": ("vader_tweets", "vader_amazon", "vader_movies", "vader_nyt"),
    "uci (amazon, imdb, yelp)": ("uci_amazon", "uci_imdb", "uci_yelp"),
}
_LD_JSON = re.compile(r"<script[^>]+application/ld\+json[^>]*>(.*?)</script>", re.S | re.I)


def star_label(stars: float) -> str | None:
    """1-2 stars negative, 4-5 positive, 3 (mixed) none."""
    if stars <= 2:
        return "negative"
    if stars >= 4:
        return "positive"
    return None


def _review_text(title: str, body: str) -> str:
    title, body = title.strip(), body.strip()
    return f"{title}. {body}" if title and body and not body.startswith(title) else (body or title)


def _appstore_reviews(path: Path) -> Iterator[tuple[str, float]]:
    feed = json.loads(path.read_text(encoding="utf-8")).get("feed", {})
    entries = feed.get("entry", [])
    for entry in [entries] if isinstance(entries, dict) else entries:
        try:
            stars = float(entry["im:rating"]["label"])
            body = str(entry["content"]["label"])
        except (KeyError, TypeError, ValueError):
            continue
        yield _review_text(str(entry.get("title", {}).get("label", "")), body), stars


def _ld_reviews(node: Any) -> Iterator[tuple[str, float]]:
    if isinstance(node, list):
        for item in node:
            yield from _ld_reviews(item)
    elif isinstance(node, dict):
        rating = node.get("reviewRating")
        body = node.get("reviewBody") or node.get("description")
        if isinstance(rating, dict) and isinstance(body, str):
            try:
                stars = float(rating["ratingValue"])
                best = float(rating.get("bestRating") or 5)
                yield _review_text(str(node.get("name") or ""), body), stars * 5 / best
            except (KeyError, TypeError, ValueError):
                pass
        for value in node.values():
            if isinstance(value, list | dict):
                yield from _ld_reviews(value)


def _schemaorg_reviews(path: Path) -> Iterator[tuple[str, float]]:
    html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    for block in _LD_JSON.findall(html):
        try:
            yield from _ld_reviews(json.loads(block))
        except json.JSONDecodeError:
            continue


def fixture_reviews(fixtures: Path = FIXTURES, english_only: bool = True) -> list[Example]:
    """Star-rated reviews of the captures, labelled by their stars (duplicates and 3-star left out)."""
    from sentiment.language import detect, is_english

    pairs = [p for f in sorted((fixtures / "appstore").glob("*.json")) for p in _appstore_reviews(f)]
    pairs += [p for f in sorted((fixtures / "schemaorg").glob("*.html.gz")) for p in _schemaorg_reviews(f)]
    seen: set[str] = set()
    rows: list[Example] = []
    for text, stars in pairs:
        label, key = star_label(stars), " ".join(text.lower().split())
        if label is None or not key or key in seen:
            continue
        seen.add(key)
        guess = detect(text)
        if english_only and (guess is None or not is_english(guess)):
            continue
        rows.append(Example(text, label, "fixture_reviews"))
    return rows


def heldout_brand(path: Path = HELDOUT_BRAND) -> list[Example]:
    """The developers' held-out customer-to-brand messages (empty when the file is absent)."""
    return read_jsonl(path) if path.exists() else []


def selection_checks() -> dict[str, list[Example]]:
    """Every out-of-distribution check available here, by name (absent ones left out)."""
    checks = {"heldout_brand": heldout_brand()}
    if FIXTURES.exists():
        checks["fixture_reviews"] = fixture_reviews()
    return {name: rows for name, rows in checks.items() if rows}


def average_precision(is_positive: Sequence[bool], scores: Sequence[float]) -> float:
    """Area under the precision-recall curve of ``scores`` for the positive class (step-wise)."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    total = sum(is_positive)
    if not total:
        return 0.0
    hits, ap = 0, 0.0
    for rank, i in enumerate(order, start=1):
        if is_positive[i]:
            hits += 1
            ap += hits / rank
    return ap / total


def selection_figures(gold: Sequence[str], probs: Sequence[Sequence[float]]) -> dict[str, float]:
    """Macro-F1 (three labels), accuracy and the negative class's average precision."""
    predicted = [LABELS[max(range(len(p)), key=lambda k: p[k])] for p in probs]
    report = score(gold, predicted)
    neg = LABEL_TO_ID["negative"]
    ap = average_precision([g == "negative" for g in gold], [p[neg] for p in probs])
    return {"n": len(gold), "macro_f1": report.macro_f1, "accuracy": report.accuracy, "neg_ap": ap}


def selection_score(figures: dict[str, dict[str, float]]) -> float:
    """The number model selection maximises (see the module docstring)."""
    parts = []
    if "heldout_brand" in figures:
        parts += [figures["heldout_brand"]["macro_f1"], figures["heldout_brand"]["neg_ap"]]
    if "fixture_reviews" in figures:
        parts.append(figures["fixture_reviews"]["neg_ap"])
    return sum(parts) / len(parts) if parts else 0.0


def write_jsonl(rows: list[Example], path: Path) -> None:
    """Write examples as {"text","label","source"} lines."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({"text": row.text, "label": row.label, "source": row.source}) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m sentiment.checks OUT_DIR`."""
    parser = argparse.ArgumentParser(prog="python -m sentiment.checks", description=__doc__)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in selection_checks().items():
        write_jsonl(rows, args.out / f"{name}.jsonl")
        counts = {
            label: sum(1 for r in rows if r.label == label) for label in ("negative", "neutral", "positive")
        }
        print(name, len(rows), counts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
