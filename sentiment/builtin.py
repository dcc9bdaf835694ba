"""The default backend: the fine-tuned MiniLM, exported to ONNX and quantised to int8.

Scoring needs only onnxruntime, tokenizers and numpy (no torch), so a scoring process stays small.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.base import ModelUnavailable, Prediction
from sentiment.flag_policy import FlagPolicy, policy_from_meta
from sentiment.ortrun import PerTextRunner

MODEL_DIR = Path(__file__).resolve().parent / "model"


class BuiltinClassifier:
    """int8 ONNX MiniLM; ``model_dir`` holds model.onnx, tokenizer.json and bounceback_model.json.

    ``flag_policy`` is the metadata's ``flag_policy`` (None for a model trained before it); its
    ``temperature`` divides the logits before softmax, as it did when its curve was measured.

    Each text runs alone (its label never depends on the other texts of the call), ``threads`` at a
    time; see `sentiment.ortrun`.
    """

    name = "builtin"

    def __init__(self, model_dir: str | Path | None = None, *, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        directory = Path(model_dir) if model_dir else MODEL_DIR
        meta_path, onnx_path = directory / "bounceback_model.json", directory / "model.onnx"
        if not onnx_path.exists() or not meta_path.exists():
            raise ModelUnavailable(f"no trained model in {directory} (run `python -m sentiment.train`)")
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
        self.labels: tuple[str, ...] = tuple(meta["labels"])
        self.revision = str(meta["revision"])
        self.max_length = int(meta["max_length"])
        try:
            self.flag_policy: FlagPolicy | None = policy_from_meta(meta)
        except ValueError as exc:
            raise ModelUnavailable(f"{meta_path}: {exc}") from exc
        self.temperature = self.flag_policy.temperature if self.flag_policy else 1.0
        self.name = "builtin" if directory == MODEL_DIR else f"builtin:{directory.name}"
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_length)
        self._tokenizer.no_padding()
        self._runner = PerTextRunner(onnx_path, "logits", threads)

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """Tokenise, run each text, softmax (of the logits divided by the policy's temperature)."""
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        logits = self._runner.run(ids)
        if not logits:
            return []
        probs = softmax(np.stack(logits).astype(np.float64) / self.temperature)
        return [Prediction.from_probabilities(row.tolist(), self.labels) for row in probs]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
