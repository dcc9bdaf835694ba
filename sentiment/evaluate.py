"""`python -m sentiment.evaluate FILE.jsonl [--model NAME]`: the chosen model and VADER on the same rows.

Prints accuracy, macro-F1 and negative-class precision/recall/F1 for both, so a model is always
read against the lexicon baseline; then, for each, the flag policy's P(negative) threshold (re-derived
for ``BOUNCEBACK_FLAG_RECALL_TARGET``; ``BOUNCEBACK_NEGATIVE_THRESHOLD`` for a model without one) and the
recall and precision of flagging at it on this file.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bounceback.settings import get_settings
from sentiment.base import Classifier, flag_policy_of
from sentiment.corpus import Example, read_jsonl
from sentiment.flag_policy import effective_threshold
from sentiment.metrics import Report, score
from sentiment.registry import BACKENDS, build
from sentiment.triage import p_negative

DEFAULT_RECALL_TARGET = 0.9
DEFAULT_THRESHOLD = 0.6


@dataclass(frozen=True)
class FlagCheck:
    """Flagging at ``threshold`` on the file: the complaints caught (recall), the flags that were
    complaints (precision), the share of rows flagged. ``recall_target`` None: no flag policy."""

    threshold: float
    recall_target: float | None
    recall: float
    precision: float
    flagged_share: float


def flag_check(
    is_negative: Sequence[bool], p_neg: Sequence[float], threshold: float, recall_target: float | None
) -> FlagCheck | None:
    """Recall and precision of ``P(negative) >= threshold``; None when the file has no complaint."""
    complaints = sum(is_negative)
    if not complaints:
        return None
    flagged = [p >= threshold for p in p_neg]
    caught = sum(f and n for f, n in zip(flagged, is_negative, strict=True))
    return FlagCheck(
        threshold=threshold,
        recall_target=recall_target,
        recall=caught / complaints,
        precision=caught / sum(flagged) if any(flagged) else 1.0,
        flagged_share=sum(flagged) / len(flagged),
    )


@dataclass(frozen=True)
class Evaluation:
    """One model's report on one file."""

    model: str
    revision: str
    seconds: float
    report: Report
    flag: FlagCheck | None = None
    threshold: float = DEFAULT_THRESHOLD  # the P(negative) flag threshold used, with or without complaints
    negative_ap: float = 0.0  # average precision of P(negative) for the negative rows (threshold-free)


def evaluate_rows(
    classifier: Classifier,
    rows: Sequence[Example],
    *,
    recall_target: float = DEFAULT_RECALL_TARGET,
    fallback_threshold: float = DEFAULT_THRESHOLD,
) -> Evaluation:
    """Classify ``rows``, score the labels, the flag threshold triage would use and P(negative)'s ranking."""
    from sentiment.checks import average_precision

    started = time.monotonic()
    predictions = classifier.classify([r.text for r in rows])
    seconds = time.monotonic() - started
    report = score([r.label for r in rows], [p.label for p in predictions])
    policy = flag_policy_of(classifier)
    threshold = effective_threshold(policy, recall_target, fallback_threshold)
    is_negative = [r.label == "negative" for r in rows]
    p_neg = [p_negative(p) or 0.0 for p in predictions]
    flag = flag_check(is_negative, p_neg, threshold, recall_target if policy is not None else None)
    ap = average_precision(is_negative, p_neg)
    return Evaluation(classifier.name, classifier.revision, seconds, report, flag, threshold, ap)


def evaluate(
    classifier: Classifier,
    path: Path,
    limit: int | None = None,
    *,
    recall_target: float = DEFAULT_RECALL_TARGET,
    fallback_threshold: float = DEFAULT_THRESHOLD,
) -> Evaluation:
    """`evaluate_rows` over the rows of ``path``."""
    rows = read_jsonl(path, limit)
    return evaluate_rows(classifier, rows, recall_target=recall_target, fallback_threshold=fallback_threshold)


def format_flag(ev: Evaluation) -> str:
    """One line: the flag threshold, what it was set for, and its recall and precision on the file."""
    if ev.flag is None:
        return f"{ev.model}: flag policy: no complaint (negative row) in this file to measure it on"
    f = ev.flag
    if f.recall_target is not None:
        basis = f"flag policy: P(negative) ≥ {f.threshold:.2f} ({f.recall_target * 100:g} % target)"
    else:
        basis = f"no flag policy: P(negative) ≥ {f.threshold:.2f} (BOUNCEBACK_NEGATIVE_THRESHOLD)"
    return (
        f"{ev.model}: {basis} → recall {f.recall:.2f}, precision {f.precision:.2f} on this file "
        f"({f.flagged_share:.0%} of rows flagged)"
    )


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
    *,
    recall_target: float = DEFAULT_RECALL_TARGET,
    fallback_threshold: float = DEFAULT_THRESHOLD,
) -> list[Evaluation]:
    """Evaluate ``model`` and VADER (once if the model is VADER) on ``path``."""
    names = [model] if model == "vader" else [model, "vader"]
    return [
        evaluate(
            build(name, model_path if name == model else "", label_map),
            path,
            limit,
            recall_target=recall_target,
            fallback_threshold=fallback_threshold,
        )
        for name in names
    ]


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m sentiment.evaluate`."""
    parser = argparse.ArgumentParser(prog="python -m sentiment.evaluate", description=__doc__)
    parser.add_argument("file", type=Path, help='JSONL with "text" and "label" per line')
    parser.add_argument("--model", default="builtin", choices=sorted(BACKENDS))
    parser.add_argument("--model-path", default="", help="model directory or id (builtin/huggingface)")
    parser.add_argument("--label-map", default="{}", help='JSON, e.g. {"LABEL_0": "negative"}')
    parser.add_argument("--limit", type=int, help="only the first N rows")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--recall-target", type=_fraction, help="default: BOUNCEBACK_FLAG_RECALL_TARGET (0.9)"
    )
    parser.add_argument(
        "--threshold", type=_fraction, help="without a flag policy; default: BOUNCEBACK_NEGATIVE_THRESHOLD"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    evaluations = run(
        args.file,
        args.model,
        args.model_path,
        args.limit,
        json.loads(args.label_map),
        recall_target=args.recall_target or settings.flag_recall_target,
        fallback_threshold=args.threshold or settings.negative_threshold,
    )
    if args.json:
        print(json.dumps([asdict(ev) for ev in evaluations], indent=2))
    else:
        print(format_table(evaluations))
        print("\n".join(format_flag(ev) for ev in evaluations))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
