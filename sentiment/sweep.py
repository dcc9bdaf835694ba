"""Model selection on a GPU machine: several fine-tuning settings, each judged on out-of-distribution checks.

Three steps, so the run fits a machine that can carry little and has no package index:

1. here: `python -m sentiment.sweep pack BUNDLE` writes the base model (encoder in fp16, the word
   embeddings of the tokens the data uses in int8 with a scale per row), the training data (gzip) and
   the selection checks (`sentiment.checks`) into BUNDLE;
2. there: `python -m sentiment.sweep run BUNDLE OUT --deadline 420` fine-tunes each setting in
   `SETTINGS` with the word embeddings frozen (so the weights that come back, everything but them,
   rebuild the model exactly with the original embeddings), keeps the epoch with the best selection
   score, then runs leave-one-source-out for the chosen setting; writes `sweep.json` and the chosen
   weights in parts of under 16 MB;
3. here: `python -m sentiment.sweep unpack OUT CHECKPOINT` rebuilds a transformers checkpoint, which
   `python -m sentiment.export CHECKPOINT` turns into the int8 ONNX model.

Selection score = mean of the held-out brand set's macro-F1, its negative-class average precision and
the star-rated reviews' negative-class average precision. The dev split of the training sources is
reported, never used to choose.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import math
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sentiment.checks import selection_figures, selection_score
from sentiment.corpus import Example, length_grouped_batches
from sentiment.labels import LABEL_TO_ID, LABELS
from sentiment.sweep_bundle import EMBEDDING_KEY, pack, unpack
from sentiment.train import _pad, predict_probabilities

PART_BYTES = 15_000_000
SETTINGS: list[dict[str, Any]] = [
    {"name": "lr8e-5", "learning_rate": 8e-5, "epochs": 3, "label_smoothing": 0.0, "drop": []},
    {"name": "lr4e-5", "learning_rate": 4e-5, "epochs": 3, "label_smoothing": 0.0, "drop": []},
    {"name": "lr4e-5-ls0.1", "learning_rate": 4e-5, "epochs": 3, "label_smoothing": 0.1, "drop": []},
    {
        "name": "lr4e-5-no-movies-nyt",
        "learning_rate": 4e-5,
        "epochs": 3,
        "label_smoothing": 0.0,
        "drop": ["vader_movies", "vader_nyt"],
    },
    {"name": "lr2e-5", "learning_rate": 2e-5, "epochs": 3, "label_smoothing": 0.0, "drop": []},
]


# ---------------------------------------------------------------- run (GPU machine)


def _read_gz(path: Path) -> list[Example]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [Example(r["text"], r["label"], r["source"]) for r in map(json.loads, handle)]


def _read_checks(bundle: Path) -> dict[str, list[Example]]:
    out = {}
    for path in sorted((bundle / "checks").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            out[path.stem] = [Example(r["text"], r["label"], r["source"]) for r in map(json.loads, handle)]
    return out


class Runner:
    """Holds the tokenised data and builds, trains and evaluates models on one device."""

    def __init__(self, bundle: Path, device: str, max_length: int = 96, batch_size: int = 32) -> None:
        import torch
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoTokenizer

        self.torch, self.device = torch, device
        self.max_length, self.batch_size = max_length, batch_size
        self.config = AutoConfig.from_pretrained(bundle / "base")
        self.tokenizer = AutoTokenizer.from_pretrained(bundle / "base")
        self.pad_id = int(self.tokenizer.pad_token_id)
        self.encoder = load_file(str(bundle / "encoder_fp16.safetensors"))
        emb = load_file(str(bundle / "embedding_rows.safetensors"))
        full = torch.zeros((self.config.vocab_size, self.config.hidden_size))
        full[emb["ids"].long()] = emb["rows"].float() * emb["scale"].unsqueeze(1)
        self.embeddings = full
        self.train_rows = _read_gz(bundle / "train.jsonl.gz")
        self.dev_rows = _read_gz(bundle / "dev.jsonl.gz")
        self.checks = _read_checks(bundle)
        self._cache: dict[str, list[int]] = {}

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids, truncated to max_length (cached by text)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            ids: list[Any] = self.tokenizer(missing, truncation=True, max_length=self.max_length)["input_ids"]
            for text, row in zip(missing, ids, strict=True):
                self._cache[text] = [int(i) for i in row]
        return [self._cache[t] for t in texts]

    def new_model(self, seed: int) -> Any:
        """The base model with a fresh classification head; word embeddings frozen."""
        from transformers import AutoModelForSequenceClassification

        self.torch.manual_seed(seed)
        random.seed(seed)
        config = copy.deepcopy(self.config)
        config.num_labels = len(LABELS)
        config.id2label, config.label2id = dict(enumerate(LABELS)), dict(LABEL_TO_ID)
        model = AutoModelForSequenceClassification.from_config(config)
        state = {k: v.float() for k, v in self.encoder.items()}
        state[EMBEDDING_KEY] = self.embeddings
        missing, _ = model.bert.load_state_dict(state, strict=False)
        assert not [k for k in missing if "position_ids" not in k], missing
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
        return model.to(self.device)

    def _pad(self, ids: list[list[int]]) -> tuple[Any, Any]:
        return _pad(ids, self.pad_id, self.device)

    def probabilities(self, model: Any, rows: Sequence[Example]) -> list[list[float]]:
        """Softmax probabilities per row (eval mode)."""
        return predict_probabilities(
            model, self.encode([r.text for r in rows]), self.pad_id, 256, self.device
        )

    def judge(self, model: Any, with_dev: bool = False) -> dict[str, dict[str, float]]:
        """Selection figures on every check (and the dev split when asked)."""
        sets = dict(self.checks)
        if with_dev:
            sets["dev (training sources)"] = self.dev_rows
        return {
            n: selection_figures([r.label for r in rows], self.probabilities(model, rows))
            for n, rows in sets.items()
        }

    def fit(
        self,
        setting: dict[str, Any],
        rows: Sequence[Example],
        seed: int,
        on_eval: Any = None,
        evals_per_epoch: int = 2,
    ) -> Any:
        """Fine-tune a fresh model on ``rows``; ``on_eval(model, epoch_fraction)`` after each epoch part."""
        torch = self.torch
        from transformers import get_linear_schedule_with_warmup

        model = self.new_model(seed)
        encoded = self.encode([r.text for r in rows])
        targets = [LABEL_TO_ID[r.label] for r in rows]
        params = [p for p in model.parameters() if p.requires_grad]
        decay = [
            p
            for n, p in model.named_parameters()
            if p.requires_grad and not n.endswith(("bias", "LayerNorm.weight"))
        ]
        rest = [p for p in params if all(p is not d for d in decay)]
        optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
            lr=setting["learning_rate"],
        )
        steps_per_epoch = math.ceil(len(encoded) / self.batch_size)
        total = steps_per_epoch * setting["epochs"]
        scheduler = get_linear_schedule_with_warmup(optimizer, int(total * 0.06), total)
        loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=setting["label_smoothing"])
        lengths = [len(x) for x in encoded]
        model.train()
        for epoch in range(setting["epochs"]):
            batches = length_grouped_batches(lengths, self.batch_size, seed + epoch)
            marks = {round(len(batches) * (k + 1) / evals_per_epoch) for k in range(evals_per_epoch)}
            for number, batch in enumerate(batches, start=1):
                ids, mask = self._pad([encoded[i] for i in batch])
                labels = torch.tensor([targets[i] for i in batch], device=self.device)
                with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=self.device == "cuda"):
                    logits = model(input_ids=ids, attention_mask=mask).logits
                loss = loss_fn(logits.float(), labels)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                if on_eval is not None and number in marks:
                    on_eval(model, epoch + number / len(batches))
        return model


def _trained_state(model: Any) -> dict[str, Any]:
    return {
        k: v.detach().float().cpu().clone()
        for k, v in model.state_dict().items()
        if not k.endswith(EMBEDDING_KEY)
    }


def _save_parts(state: dict[str, Any], out: Path) -> list[str]:
    from safetensors.torch import save_file

    for old in out.glob("weights-part*.safetensors"):
        old.unlink()
    parts: list[dict[str, Any]] = [{}]
    size = 0
    for key, value in state.items():
        nbytes = value.numel() * value.element_size()
        if size + nbytes > PART_BYTES and parts[-1]:
            parts.append({})
            size = 0
        parts[-1][key] = value.contiguous()
        size += nbytes
    names = []
    for number, part in enumerate(parts):
        name = f"weights-part{number}.safetensors"
        save_file(part, str(out / name))
        names.append(name)
    return names


def run(
    bundle: Path,
    out: Path,
    deadline_s: float,
    limit: int | None = None,
    seed: int = 13,
    only: Sequence[str] = (),
    loso: tuple[str, float] | None = None,
    groups: Sequence[str] = (),
) -> dict[str, Any]:
    """Sweep SETTINGS, keep the best (setting, epoch) by selection score, then leave-one-source-out."""
    import torch

    from sentiment.checks import LOSO_GROUPS

    started = time.monotonic()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    runner = Runner(bundle, device)
    if limit:
        runner.train_rows = random.Random(seed).sample(  # noqa: S311 (sampling, not security)
            runner.train_rows, min(limit, len(runner.train_rows))
        )
        runner.dev_rows = runner.dev_rows[:limit]
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "runs": [],
    }
    best: dict[str, Any] = {"score": -1.0}

    def save_report() -> None:
        report["best"] = {k: v for k, v in best.items() if k != "state"}
        report["minutes"] = (time.monotonic() - started) / 60
        (out / "sweep.json").write_text(json.dumps(report, indent=2), encoding="utf-8")

    for setting in [s for s in SETTINGS if not only or s["name"] in only]:
        if time.monotonic() - started > deadline_s * 0.7:
            report.setdefault("skipped", []).append(setting["name"])
            continue
        rows = [r for r in runner.train_rows if r.source not in setting["drop"]]
        history: list[dict[str, Any]] = []

        def on_eval(
            model: Any, epoch: float, setting: dict[str, Any] = setting, history: list[Any] = history
        ) -> None:
            figures = runner.judge(model, with_dev=True)
            value = selection_score(figures)
            history.append({"epoch": round(epoch, 2), "selection": value, "figures": figures})
            print(
                f"{setting['name']} epoch {epoch:.2f} selection {value:.4f} {json.dumps(figures)}", flush=True
            )
            if value > best["score"]:
                best.update(
                    score=value,
                    setting=setting,
                    epoch=round(epoch, 2),
                    figures=figures,
                    state=_trained_state(model),
                )

        runner.fit(setting, rows, seed, on_eval)
        report["runs"].append({"setting": setting, "rows": len(rows), "history": history})
        save_report()
    if "state" in best:
        best["parts"] = _save_parts(best["state"], out)
        save_report()
    name, epoch = loso or (best["setting"]["name"], best["epoch"])
    chosen = dict(next(s for s in SETTINGS if s["name"] == name), epochs=max(1, math.ceil(epoch)))
    report["loso"] = []
    for group, sources in LOSO_GROUPS.items():
        if groups and not any(group.startswith(g) for g in groups):
            continue
        if time.monotonic() - started > deadline_s:
            report["loso"].append({"group": group, "skipped": "deadline"})
            continue
        train_rows = [
            r for r in runner.train_rows if r.source not in sources and r.source not in chosen["drop"]
        ]
        test_rows = [r for r in runner.train_rows + runner.dev_rows if r.source in sources]
        model = runner.fit(chosen, train_rows, seed)
        figures = selection_figures([r.label for r in test_rows], runner.probabilities(model, test_rows))
        report["loso"].append({"group": group, "train_rows": len(train_rows), **figures})
        print("loso", group, figures, flush=True)
        save_report()
    return report


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m sentiment.sweep pack|run|unpack`."""
    parser = argparse.ArgumentParser(prog="python -m sentiment.sweep", description=__doc__)
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("pack").add_argument("bundle", type=Path)
    r = sub.add_parser("run")
    r.add_argument("bundle", type=Path)
    r.add_argument("out", type=Path)
    r.add_argument("--deadline", type=float, default=420.0, help="seconds; no new training starts after it")
    r.add_argument("--limit", type=int, help="train on N random rows only (a smoke test)")
    r.add_argument("--only", nargs="*", default=[], help="setting names to sweep (default: all)")
    r.add_argument(
        "--loso", nargs=2, metavar=("SETTING", "EPOCHS"), help="leave-one-source-out for this setting"
    )
    r.add_argument("--groups", nargs="*", default=[], help="LOSO groups by name prefix (default: all)")
    u = sub.add_parser("unpack")
    u.add_argument("result", type=Path)
    u.add_argument("checkpoint", type=Path)
    args = parser.parse_args(argv)
    if args.step == "pack":
        pack(args.bundle)
    elif args.step == "run":
        loso = (args.loso[0], float(args.loso[1])) if args.loso else None
        run(args.bundle, args.out, args.deadline, args.limit, only=args.only, loso=loso, groups=args.groups)
    else:
        unpack(args.result, args.checkpoint)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
