"""Sentence embeddings from the packaged all-MiniLM-L6-v2 (mean pooling, unit length), for incidents.

Loaded lazily on the first complaint that needs grouping; torch is imported only then.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

MAX_TOKENS = 128
_lock = threading.Lock()
_model: tuple[Any, Any] | None = None


def _load() -> tuple[Any, Any]:
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from transformers import AutoModel, AutoTokenizer

            from sentiment.train import base_model_dir

            base = base_model_dir()
            model = AutoModel.from_pretrained(base)
            model.eval()
            _model = (AutoTokenizer.from_pretrained(base), model)
        return _model


def embed(texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """One unit-length 384-d vector per text (cosine similarity is a dot product)."""
    import torch

    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    tokenizer, model = _load()
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                list(texts[start : start + batch_size]),
                padding=True,
                truncation=True,
                max_length=MAX_TOKENS,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(chunks).astype(np.float32)
