"""The model card and metrics.json of a model installed by `bounceback model retrain`."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentiment.corrections import HELDOUT_ONE_IN, SOURCE
from sentiment.model_card import DATA_TABLE

if TYPE_CHECKING:
    from sentiment.retrain import RetrainOptions, RetrainResult


def metrics_of(
    result: RetrainResult, created: datetime, options: RetrainOptions, minutes: float
) -> dict[str, Any]:
    """What `bounceback model list` shows and a later comparison can read back."""
    comparison, corrections, summary = result.comparison, result.corrections, result.summary
    counts = summary.get("training_counts_by_source", {})
    return {
        "revision": result.revision,
        "created": created.isoformat(timespec="seconds"),
        "compared_with": {"name": result.installed_before.name, "revision": result.installed_before.revision},
        "training_rows": summary.get("training_rows"),
        "training_counts_by_source": counts,
        "corrections": {
            "read": corrections.read,
            "used_for_training": counts.get(SOURCE, 0),
            "held_out": len(corrections.held_out),
            "by_label": corrections.label_counts(),
            "skipped": corrections.skipped,
        },
        "checks": [asdict(c) for c in comparison.checks],
        "mean": {"candidate": asdict(comparison.candidate), "installed": asdict(comparison.installed)},
        "decision": {
            "installed": comparison.install,
            "forced": comparison.forced,
            "reason": comparison.reason,
        },
        "options": {k: v for k, v in asdict(options).items() if k not in ("base_files", "check_files")},
        "minutes": round(minutes, 2),
    }


def render_card(
    result: RetrainResult,
    created: datetime,
    options: RetrainOptions,
    minutes: float,
    base_files: list[str],
    check_files: list[str],
) -> str:
    """MODEL_CARD.md: the data (with the number of corrections), the settings and the comparison."""
    from sentiment.retrain import AP_SLACK, MIN_CHECK_ROWS, describe_counts, format_comparison

    comparison, corrections, summary = result.comparison, result.corrections, result.summary
    counts: dict[str, int] = summary.get("training_counts_by_source", {})
    used = counts.get(SOURCE, 0)
    before = result.installed_before
    files = ", ".join(f"`{Path(f).name}`" for f in base_files)
    checks = ", ".join(f"`{Path(f).name}`" for f in check_files)
    decision = (
        f"Installed with `--force` although it was not better: {comparison.reason}."
        if comparison.forced
        else f"Installed because it did better: {comparison.reason}."
    )
    limit = f" (first {options.limit} rows of each file)" if options.limit else ""
    history = summary.get("history", [])
    steps = history[-1]["steps"] if history else 0
    return f"""# bounceback builtin sentiment model, retrained with agents' corrections

Revision `{result.revision}`, created {created.isoformat(timespec="seconds")} by `bounceback model retrain`.
Three labels: negative, neutral, positive. It replaced {before.label} as the active model;
`bounceback model use {before.name}` rolls back.

## Data
- Base: {files}{limit}: {summary.get("training_rows", 0) - used} rows.
- Agents' corrections: **{used} used for training**, **{len(corrections.held_out)} held out** to test it
  (one text in {HELDOUT_ONE_IN}, chosen by a hash of the text), of {corrections.read} `Correction` rows read.
  Labels of the used and held-out ones: {json.dumps(corrections.label_counts())}.
  Skipped: {describe_counts(corrections.skipped)}.
  The newest correction of a mention counts; "not negative" and "not about us" are not sentiment labels.
- Rows per source: {json.dumps(counts)}.

{DATA_TABLE}| correction | agents' relabels in this deployment's database (item page) | the operator's |

## Training
Base model {summary.get("base_model", "")}, fine-tuned from it with `sentiment.train`:
epochs {options.epochs}, {steps} steps, batch size {options.batch_size},
learning rate {options.learning_rate}, {options.threads} CPU threads, max steps {options.max_steps or "none"}.
{minutes:.1f} minutes for training and the comparison.

## Comparison with the model it replaced ({before.label}), on the same held-out rows
Checks: the held-out corrections and {checks} (English rows only). The decision reads the mean over the
checks of at least {MIN_CHECK_ROWS} rows: a candidate is installed when its macro-F1 is higher and its
negative average precision is at most {AP_SLACK} lower. Negative recall and precision (shown, not
decided on) are those of flagging, at each model's own P(negative) threshold:
{comparison.candidate.threshold:.2f} for this model, {comparison.installed.threshold:.2f} for {before.label}.

{format_comparison(comparison)}

{decision}

## Limits
English only; the base data's limits (see the packaged `sentiment/model/MODEL_CARD.md`) apply.
Held-out corrections are few: read their figures with their n.
"""
