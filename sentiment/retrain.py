"""`bounceback model retrain`: train a candidate on the base data plus agents' corrections, compare it
with the model in use on the same held-out rows, and install it only if it does better.

Held-out rows: the corrections' held-out part (`sentiment.corrections`) and the model-selection check
files (`sentiment/data/heldout_*.jsonl`, else the shared dev set), English rows only (the builtin model
gets no others). Both models are scored on every check; the decision reads the mean over the checks of
at least ``MIN_CHECK_ROWS`` rows (each counts once, so agents' corrections weigh as much as a whole
file once there are enough of them; smaller checks are shown, not decided on). The candidate is installed
when its macro-F1 is higher and its negative average precision (how well its P(negative) ranks the
complaints above the rest, whatever the threshold) is at most ``AP_SLACK`` lower; ``force`` installs it
anyway, saying so in its card. Recall and precision of flagging, at each model's own P(negative)
threshold (its flag policy's for BOUNCEBACK_FLAG_RECALL_TARGET, else BOUNCEBACK_NEGATIVE_THRESHOLD), are
shown beside them, not decided on: a model that flags everything catches every complaint.
Training runs on the CPU (no GPU needed) with `sentiment.train`.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bounceback.errors import InvalidInput
from bounceback.settings import Settings
from bounceback.types import utcnow
from sentiment.base import Classifier, ModelUnavailable
from sentiment.builtin import BuiltinClassifier
from sentiment.corpus import SHARED_DATA, Example, read_jsonl
from sentiment.corrections import CorrectionSet, read_corrections
from sentiment.evaluate import FlagCheck, evaluate_rows
from sentiment.language import detect, is_english
from sentiment.metrics import Report
from sentiment.model_store import Entry, ModelStore

DATA_DIR = Path(__file__).resolve().parent / "data"
AP_SLACK = 0.01
MIN_CHECK_ROWS = 20
CORRECTIONS_CHECK = "corrections (held out)"
# Measured speeds, batches of 32 on 2 cores: idle (MODEL_CARD.md: 1.6-1.8 steps/s) and shared with
# other jobs (the packaged run: 1,394 steps in 43 min); torch and int8 ONNX inference in texts/s.
STEPS_PER_S = (1.7, 0.5)
TORCH_TEXTS_PER_S = (150.0, 60.0)
ONNX_TEXTS_PER_S = (700.0, 250.0)
FIXED_S = (20.0, 60.0)  # loading the base model, export and int8 quantisation


@dataclass
class RetrainOptions:
    """The knobs of `bounceback model retrain`; the rest of `TrainConfig` keeps its defaults."""

    epochs: int = 1
    limit: int | None = None  # N rows of each file: the first of training files, spread through checks
    max_steps: int | None = None
    batch_size: int = 32
    learning_rate: float = 8e-5
    threads: int = 2
    force: bool = False
    base_files: list[str] | None = None  # default: TrainConfig().train
    check_files: list[str] | None = None  # default: `default_check_files()`


@dataclass(frozen=True)
class Figures:
    """A model's figures on one check (or their mean over the checks).

    ``negative_recall``/``negative_precision``: of mentions flagged as triage flags them, at the
    model's own P(negative) threshold (its flag policy for the operator's recall target, else
    BOUNCEBACK_NEGATIVE_THRESHOLD); ``label_negative_recall``: of the winning label; ``negative_ap``:
    average precision of P(negative) for the negative rows (threshold-free).
    """

    n: int
    accuracy: float
    macro_f1: float
    negative_recall: float
    negative_precision: float
    label_negative_recall: float
    threshold: float
    negative_ap: float = 0.0

    @classmethod
    def of(cls, report: Report, flag: FlagCheck | None, threshold: float, ap: float = 0.0) -> Figures:
        recall, precision = (flag.recall, flag.precision) if flag else (0.0, 0.0)  # no complaint to find
        neg = report.per_class["negative"]
        return cls(report.n, report.accuracy, report.macro_f1, recall, precision, neg.recall, threshold, ap)

    @classmethod
    def mean(cls, figures: Sequence[Figures]) -> Figures:
        k = max(len(figures), 1)
        return cls(
            sum(f.n for f in figures),
            sum(f.accuracy for f in figures) / k,
            sum(f.macro_f1 for f in figures) / k,
            sum(f.negative_recall for f in figures) / k,
            sum(f.negative_precision for f in figures) / k,
            sum(f.label_negative_recall for f in figures) / k,
            figures[0].threshold if figures else 0.0,
            sum(f.negative_ap for f in figures) / k,
        )

    @classmethod
    def measure(cls, model: Classifier, rows: Sequence[Example], target: float, fallback: float) -> Figures:
        """Classify ``rows`` and score labels and flags (`sentiment.evaluate.evaluate_rows`)."""
        ev = evaluate_rows(model, rows, recall_target=target, fallback_threshold=fallback)
        return cls.of(ev.report, ev.flag, ev.threshold, ev.negative_ap)


@dataclass(frozen=True)
class CheckResult:
    """Both models on one check; ``decisive`` is False for a check too small to decide on."""

    name: str
    candidate: Figures
    installed: Figures
    decisive: bool


@dataclass
class Comparison:
    """Every check, the means the decision reads, and the decision."""

    checks: list[CheckResult]
    candidate: Figures
    installed: Figures
    install: bool = False
    forced: bool = False
    reason: str = ""


@dataclass
class RetrainResult:
    """What happened: the comparison, the corrections used, the new entry (None when refused)."""

    comparison: Comparison
    corrections: CorrectionSet
    installed_before: Entry
    entry: Entry | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    revision: str = ""  # the candidate's


def default_check_files() -> list[str]:
    """The model-selection check files, else the shared dev set."""
    files = sorted(DATA_DIR.glob("heldout_*.jsonl"))
    return [str(p) for p in files] or [str(SHARED_DATA / "dev.jsonl")]


def compare(
    candidate: Classifier,
    installed: Classifier,
    checks: Sequence[tuple[str, list[Example]]],
    recall_target: float = 0.9,
    fallback_threshold: float = 0.6,
) -> Comparison:
    """Score both models on every check (flags at each one's own threshold); `decide` reads the means."""
    results = []
    for name, rows in checks:
        if not rows:
            continue
        figures = [
            Figures.measure(m, rows, recall_target, fallback_threshold) for m in (candidate, installed)
        ]
        deciding = len(rows) >= MIN_CHECK_ROWS
        results.append(CheckResult(name, figures[0], figures[1], deciding))
    chosen = [c for c in results if c.decisive]
    return Comparison(
        results, Figures.mean([c.candidate for c in chosen]), Figures.mean([c.installed for c in chosen])
    )


def _verdict(new: Figures, old: Figures) -> tuple[bool, str]:
    if new.n == 0:
        return False, "no held-out rows to compare on"
    if new.macro_f1 <= old.macro_f1:
        return False, f"macro-F1 {new.macro_f1:.3f} is not above the installed {old.macro_f1:.3f}"
    if new.negative_ap < old.negative_ap - AP_SLACK:
        return False, (
            f"negative average precision would fall from {old.negative_ap:.3f} to "
            f"{new.negative_ap:.3f}, more than {AP_SLACK} lower: complaints ranked worse"
        )
    return True, (
        f"macro-F1 {old.macro_f1:.3f} -> {new.macro_f1:.3f}, "
        f"negative average precision {old.negative_ap:.3f} -> {new.negative_ap:.3f}"
    )


def decide(comparison: Comparison, force: bool = False) -> Comparison:
    """Set ``install`` and ``reason``: better macro-F1 and negative AP no more than the slack lower."""
    better, comparison.reason = _verdict(comparison.candidate, comparison.installed)
    comparison.install, comparison.forced = better or force, force and not better
    return comparison


def estimate_seconds(
    train_rows: int, dev_rows: int, check_rows: int, options: RetrainOptions
) -> tuple[int, float, float]:
    """Optimiser steps, and the expected seconds on idle and on busy cores."""
    per_epoch = math.ceil(train_rows / options.batch_size)
    steps = per_epoch * options.epochs
    if options.max_steps is not None:
        steps = min(steps, options.max_steps)
    epochs = max(1, math.ceil(steps / max(per_epoch, 1)))
    scale = (options.batch_size / 32) * (2 / max(options.threads, 1))
    idle, busy = (
        steps * scale / spd + epochs * dev_rows / torch + 2 * check_rows / onnx + fixed
        for spd, torch, onnx, fixed in zip(
            STEPS_PER_S, TORCH_TEXTS_PER_S, ONNX_TEXTS_PER_S, FIXED_S, strict=True
        )
    )
    return steps, idle, busy


def spread(rows: list[Example], limit: int | None) -> list[Example]:
    """At most ``limit`` rows taken evenly through the file (check files are grouped by label)."""
    if limit is None or len(rows) <= limit:
        return rows
    return [rows[i * len(rows) // limit] for i in range(limit)]


def english(rows: list[Example]) -> list[Example]:
    """The rows the builtin model would be given (the scorer sends other languages elsewhere)."""
    return [r for r in rows if is_english(detect(r.text))]


def describe_counts(counts: dict[str, int]) -> str:
    """Counts as text: "3 one reason, 1 another", or "none"."""
    return ", ".join(f"{n} {reason}" for reason, n in counts.items()) or "none"


def _classifier(entry: Entry) -> BuiltinClassifier:
    try:
        return BuiltinClassifier(entry.path)
    except ModelUnavailable as exc:
        raise InvalidInput(
            f"the installed model {entry.label} cannot load ({exc}): nothing to compare with"
        ) from exc


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _write_jsonl(path: Path, rows: Sequence[Example]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({"text": row.text, "label": row.label, "source": row.source}) + "\n")


def format_comparison(comparison: Comparison) -> str:
    """A Markdown table of both models on every check and their means."""
    lines = [
        "| check | n | macro-F1: candidate | in use | neg. AP: candidate | in use "
        "| neg. recall (flagged): candidate | in use | neg. precision: candidate | in use |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    rows = [
        (c.name + ("" if c.decisive else " (too few to decide)"), c.candidate, c.installed)
        for c in comparison.checks
    ]
    rows.append(("mean of the deciding checks", comparison.candidate, comparison.installed))
    for name, new, old in rows:
        lines.append(
            f"| {name} | {new.n} | {new.macro_f1:.3f} | {old.macro_f1:.3f} | {new.negative_ap:.3f} | "
            f"{old.negative_ap:.3f} | {new.negative_recall:.3f} | {old.negative_recall:.3f} | "
            f"{new.negative_precision:.3f} | {old.negative_precision:.3f} |"
        )
    return "\n".join(lines)


def retrain(
    engine: Engine,
    settings: Settings,
    options: RetrainOptions,
    say: Callable[[str], None] = print,
    store: ModelStore | None = None,
) -> RetrainResult:
    """Train, compare, install when better (and make it active); see the module docstring."""
    try:
        from sentiment.train import TrainConfig, train
    except ImportError as exc:  # pragma: no cover - torch is in the train and dev extras
        raise InvalidInput(f"retraining needs torch ({exc}): pip install 'bounceback[train]'") from exc
    from sentiment.retrain_card import metrics_of, render_card

    store = store or ModelStore.for_settings(settings)
    installed = store.resolve(settings.model_revision)
    installed_model = _classifier(installed)
    defaults = TrainConfig()
    base_files = options.base_files or defaults.train
    check_files = options.check_files or default_check_files()
    checks = [(Path(f).stem, english(spread(read_jsonl(Path(f)), options.limit))) for f in check_files]
    corrections = read_corrections(engine, frozenset(r.text for _, rows in checks for r in rows))
    checks.insert(0, (CORRECTIONS_CHECK, corrections.held_out))
    say(
        f"corrections: {corrections.read} read, {len(corrections.train)} to train on, "
        f"{len(corrections.held_out)} held out; skipped: {describe_counts(corrections.skipped)}"
    )
    if not corrections.train:
        say("no corrections to train on: the candidate learns from the base data alone")
    base_rows = sum(len(read_jsonl(Path(f), options.limit)) for f in base_files)
    used = len(corrections.train[: options.limit])  # the limit applies to the corrections file too
    dev_rows = len(read_jsonl(Path(defaults.dev), options.limit))
    check_rows = sum(len(rows) for _, rows in checks)
    steps, idle, busy = estimate_seconds(base_rows + used, dev_rows, check_rows, options)
    say(
        f"training on {base_rows + used} rows ({base_rows} base + {used} corrections), {steps} steps on "
        f"the CPU: expect about {_minutes(idle)} on {options.threads} idle cores, up to {_minutes(busy)} "
        f"when they are busy; then both models are compared on {check_rows} held-out rows"
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bounceback-retrain-") as tmp:
        work = Path(tmp)
        extra = work / "corrections.jsonl"
        _write_jsonl(extra, corrections.train)
        config = TrainConfig(
            train=[*base_files, str(extra)] if corrections.train else list(base_files),
            out=str(work / "model"),
            checkpoint=str(work / "checkpoint"),
            epochs=options.epochs,
            batch_size=options.batch_size,
            learning_rate=options.learning_rate,
            threads=options.threads,
            limit=options.limit,
            max_steps=options.max_steps,
        )
        summary = train(config)
        candidate = BuiltinClassifier(work / "model")
        comparison = compare(
            candidate, installed_model, checks, settings.flag_recall_target, settings.negative_threshold
        )
        decide(comparison, options.force)
        say(
            f"flags at P(negative) >= {comparison.candidate.threshold:.2f} (candidate), "
            f">= {comparison.installed.threshold:.2f} (in use)"
        )
        minutes = (time.monotonic() - started) / 60
        say(
            f"trained and compared in {minutes:.1f} min: "
            f"candidate {candidate.revision}, in use {installed.label}"
        )
        say(format_comparison(comparison))
        result = RetrainResult(comparison, corrections, installed, None, summary, candidate.revision)
        if not comparison.install:
            say(
                f"NOT INSTALLED: {comparison.reason}; "
                f"{installed.label} stays in use (--force installs anyway)"
            )
            return result
        created = utcnow()
        metrics = metrics_of(result, created, options, minutes)
        card = render_card(result, created, options, minutes, base_files, check_files)
        result.entry = store.install(work / "model", card, metrics)
    store.use(result.entry.name)
    why = f"FORCED although {comparison.reason}" if comparison.forced else comparison.reason
    say(f"installed {result.entry.name} and made it active ({why})")
    say(f"roll back with `bounceback model use {installed.name}`; old scores are kept")
    if settings.model_revision:
        say(f"note: BOUNCEBACK_MODEL_REVISION={settings.model_revision} chooses the model in use until unset")
    if settings.classifier != "builtin" or settings.model_path:
        say("note: BOUNCEBACK_CLASSIFIER or BOUNCEBACK_MODEL_PATH picks another model for scoring")
    return result
