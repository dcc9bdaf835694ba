"""Any local directory or Hub model id through transformers' `pipeline("text-classification")`.

The model's own label names are mapped to negative/neutral/positive by ``label_map`` (setting
``BOUNCEBACK_HF_LABEL_MAP``, JSON), e.g. ``{"LABEL_0": "negative", "1 star": "negative"}``; names that
are already one of the three need no entry. A label with no mapping is an error, not a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sentiment.base import ModelUnavailable, Prediction
from sentiment.flag_policy import FlagPolicy
from sentiment.labels import LABELS


class HuggingFaceClassifier:
    """A transformers text-classification pipeline, labels mapped onto the three of bounceback."""

    flag_policy: FlagPolicy | None = None  # no curve travels with an outside model: the fallback applies

    def __init__(
        self,
        model: str,
        label_map: Mapping[str, str] | None = None,
        *,
        batch_size: int = 32,
        max_length: int = 256,
    ) -> None:
        if not model:
            raise ModelUnavailable("the huggingface backend needs a model (BOUNCEBACK_MODEL_PATH)")
        try:
            from transformers import pipeline

            self._pipe: Any = pipeline("text-classification", model=model, tokenizer=model, top_k=None)
        except (OSError, ValueError, ImportError) as exc:
            raise ModelUnavailable(f"cannot load {model!r}: {exc}") from exc
        self.label_map = {**{label: label for label in LABELS}, **dict(label_map or {})}
        bad = {v for v in self.label_map.values() if v not in LABELS}
        if bad:
            raise ModelUnavailable(f"label map targets must be one of {LABELS}, not {sorted(bad)}")
        model_labels = set((self._pipe.model.config.id2label or {}).values())
        unmapped = sorted(model_labels - set(self.label_map))
        if unmapped:
            raise ModelUnavailable(
                f"model labels {unmapped} have no mapping; set BOUNCEBACK_HF_LABEL_MAP, "
                f'e.g. {{"{unmapped[0]}": "negative"}}'
            )
        self.name = f"huggingface:{Path(model).name if Path(model).exists() else model}"
        self.revision = str(getattr(self._pipe.model.config, "_commit_hash", None) or _dir_revision(model))
        self.batch_size = batch_size
        self.max_length = max_length

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """Run the pipeline and sum each mapped label's probability."""
        if not texts:
            return []
        results = self._pipe(
            list(texts), batch_size=self.batch_size, truncation=True, max_length=self.max_length
        )
        predictions = []
        for scores in results:
            probs = dict.fromkeys(LABELS, 0.0)
            for item in scores:
                probs[self.label_map[item["label"]]] += float(item["score"])
            predictions.append(Prediction.from_probabilities([probs[label] for label in LABELS]))
        return predictions


def _dir_revision(model: str) -> str:
    """A local directory's revision: a hash of its config and weight file sizes and times."""
    import hashlib

    path = Path(model)
    if not path.is_dir():
        return "unknown"
    digest = hashlib.sha256()
    for item in sorted(path.iterdir()):
        if item.is_file():
            stat = item.stat()
            digest.update(f"{item.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:12]
