"""The default backend: the fine-tuned MiniLM, exported to ONNX and quantised to int8.

Scoring needs only onnxruntime, tokenizers and numpy (no torch), so a scoring process stays small.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.base import ModelUnavailable, Prediction

MODEL_DIR = Path(__file__).resolve().parent / "model"
BATCH = 64


class BuiltinClassifier:
    """int8 ONNX MiniLM; ``model_dir`` holds model.onnx, tokenizer.json and bounceback_model.json."""

    name = "builtin"

    def __init__(self, model_dir: str | Path | None = None, *, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        directory = Path(model_dir) if model_dir else MODEL_DIR
        meta_path, onnx_path = directory / "bounceback_model.json", directory / "model.onnx"
        if not onnx_path.exists() or not meta_path.exists():
            raise ModelUnavailable(f"no trained model in {directory} (run `python -m sentiment.train`)")
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
        self.labels: tuple[str, ...] = tuple(meta["labels"])
        self.revision = str(meta["revision"])
        self.max_length = int(meta["max_length"])
        self.name = "builtin" if directory == MODEL_DIR else f"builtin:{directory.name}"
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_length)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """Tokenise, run in length-sorted batches (little padding), softmax, restore order."""
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out: list[Prediction | None] = [None] * len(ids)
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            width = max(len(ids[i]) for i in batch)
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            (logits,) = self._session.run(["logits"], {"input_ids": input_ids, "attention_mask": mask})
            probs = softmax(np.asarray(logits, dtype=np.float64))
            for row, i in enumerate(batch):
                out[i] = Prediction.from_probabilities(probs[row].tolist(), self.labels)
        return [p for p in out if p is not None]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
