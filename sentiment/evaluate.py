"""`python -m sentiment.evaluate FILE.jsonl [--model NAME]`: the chosen model and VADER on the same rows.

Prints accuracy, macro-F1 and negative-class precision/recall/F1 for both, so a model is always
read against the lexicon baseline.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from sentiment.base import Classifier
from sentiment.corpus import read_jsonl
from sentiment.metrics import Report, score
from sentiment.registry import BACKENDS, build


@dataclass(frozen=True)
class Evaluation:
    """One model's report on one file."""

    model: str
    revision: str
    seconds: float
    report: Report


def evaluate(classifier: Classifier, path: Path, limit: int | None = None) -> Evaluation:
    """Classify every row of ``path`` and score the labels."""
    rows = read_jsonl(path, limit)
    started = time.monotonic()
    predictions = classifier.classify([r.text for r in rows])
    seconds = time.monotonic() - started
    report = score([r.label for r in rows], [p.label for p in predictions])
    return Evaluation(classifier.name, classifier.revision, seconds, report)


def format_table(evaluations: Sequence[Evaluation]) -> str:
    """A Markdown table: model, n, accuracy, macro-F1, negative P/R/F1, texts/s."""
    lines = [
        "| model | revision | n | accuracy | macro-F1 | neg. precision | neg. recall | neg. F1 | texts/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for ev in evaluations:
        r, neg = ev.report, ev.report.per_class["negative"]
        rate = r.n / ev.seconds if ev.seconds else float("inf")
        lines.append(
            f"| {ev.model} | {ev.revision} | {r.n} | {r.accuracy:.3f} | {r.macro_f1:.3f} | "
            f"{neg.precision:.3f} | {neg.recall:.3f} | {neg.f1:.3f} | {rate:.0f} |"
        )
    return "\n".join(lines)


def run(
    path: Path,
    model: str = "builtin",
    model_path: str = "",
    limit: int | None = None,
    label_map: dict[str, str] | None = None,
) -> list[Evaluation]:
    """Evaluate ``model`` and VADER (once if the model is VADER) on ``path``."""
    names = [model] if model == "vader" else [model, "vader"]
    return [
        evaluate(build(name, model_path if name == model else "", label_map), path, limit) for name in names
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m sentiment.evaluate`."""
    parser = argparse.ArgumentParser(prog="python -m sentiment.evaluate", description=__doc__)
    parser.add_argument("file", type=Path, help='JSONL with "text" and "label" per line')
    parser.add_argument("--model", default="builtin", choices=sorted(BACKENDS))
    parser.add_argument("--model-path", default="", help="model directory or id (builtin/huggingface)")
    parser.add_argument("--label-map", default="{}", help='JSON, e.g. {"LABEL_0": "negative"}')
    parser.add_argument("--limit", type=int, help="only the first N rows")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    evaluations = run(args.file, args.model, args.model_path, args.limit, json.loads(args.label_map))
    if args.json:
        print(json.dumps([asdict(ev) for ev in evaluations], indent=2))
    else:
        print(format_table(evaluations))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
