"""Calibrate an exported builtin model and store its flag policy in bounceback_model.json.

Run after export: `python -m sentiment.calibrate [MODEL_DIR] [--recall-target 0.9]`.

On the model-selection checks (`sentiment.checks.selection_checks`: the held-out brand messages and the
star-rated fixture reviews, never trained on) it measures the int8 model itself:
1. a temperature T (logits / T before softmax) that minimises the negative log-likelihood, so that
   P(negative) reads as a probability;
2. the operating curve of P(negative) thresholds (recall, precision, flagged share) for "is a
   complaint", and the highest threshold that catches ``recall_target`` of them.
The ONNX file is untouched, so the model's revision stays the same.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from sentiment.flag_policy import FlagPolicy, operating_curve, policy_to_meta, threshold_for

TEMPERATURES = np.round(np.arange(0.4, 4.001, 0.05), 2)


def fit_temperature(log_probs: np.ndarray, gold: np.ndarray) -> float:
    """The T on a 0.05 grid (0.4-4) minimising mean NLL of softmax(log_probs / T); log_probs are logits
    up to a per-row constant, which the softmax ignores."""
    best_t, best_nll = 1.0, float("inf")
    for t in TEMPERATURES:
        scaled = log_probs / t
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        log_softmax = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        nll = float(-log_softmax[np.arange(len(gold)), gold].mean())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def calibrate(model_dir: Path, recall_target: float = 0.9) -> FlagPolicy:
    """Measure the temperature and operating curve of ``model_dir``'s model; write them to its metadata."""
    from sentiment.builtin import BuiltinClassifier
    from sentiment.checks import selection_checks

    checks = selection_checks()
    rows = [row for name in sorted(checks) for row in checks[name]]
    if not rows:
        raise SystemExit(
            "no model-selection checks found (sentiment/data/heldout_brand.jsonl, ../shared/fixtures)"
        )
    meta_path = model_dir / "bounceback_model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    classifier = BuiltinClassifier(model_dir)
    predictions = classifier.classify([r.text for r in rows])
    labels = list(classifier.labels)
    probs = np.array([[p.probabilities[label] for label in labels] for p in predictions], dtype=np.float64)
    # the raw model's logits (up to a per-row constant): undo the temperature a previous policy applied
    log_probs = np.log(np.clip(probs, 1e-12, 1.0)) * classifier.temperature
    gold = np.array([labels.index(r.label) for r in rows])
    temperature = fit_temperature(log_probs, gold)
    scaled = np.exp(log_probs / temperature)
    scaled /= scaled.sum(axis=1, keepdims=True)
    negative = labels.index("negative")
    is_negative = [r.label == "negative" for r in rows]
    curve = operating_curve(is_negative, scaled[:, negative].tolist())
    counts = ", ".join(f"{name} {len(checks[name])}" for name in sorted(checks))
    policy = FlagPolicy(
        threshold=threshold_for(curve, recall_target),
        recall_target=recall_target,
        temperature=temperature,
        curve=tuple(curve),
        selected_on=f"model-selection checks, never trained on ({counts} rows), int8 model",
    )
    meta.update(policy_to_meta(policy))
    meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return policy


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m sentiment.calibrate`."""
    from sentiment.builtin import MODEL_DIR

    parser = argparse.ArgumentParser(prog="python -m sentiment.calibrate", description=__doc__)
    parser.add_argument("model_dir", nargs="?", type=Path, default=MODEL_DIR)
    parser.add_argument("--recall-target", type=float, default=0.9)
    args = parser.parse_args(argv)
    policy = calibrate(args.model_dir, args.recall_target)
    point = min(policy.curve, key=lambda p: abs(p.threshold - policy.threshold))
    print(
        f"temperature {policy.temperature:.2f}; flag at P(negative) >= {policy.threshold:.2f} for "
        f"{policy.recall_target:.0%} recall: recall {point.recall:.3f}, precision {point.precision:.3f}, "
        f"flags {point.flagged_share:.1%} of the rows ({policy.selected_on})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
