"""Running a MiniLM ONNX graph one text at a time, the texts shared out over a few threads.

Why one text per run: the int8 graphs quantise activations per tensor, over the whole batch (padding
included), so a text's label could change with its neighbours (2.3 % of dev.jsonl labels did between two
batchings). Alone, a text always gets the same output, and on 2 cores this ran faster than padded
batches (small activations stay in cache). Why threads instead of intra-op threads: each run is small,
and onnxruntime releases the GIL, so two single-threaded runs side by side keep both cores busy without
the intra-op pool's synchronisation and spinning.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np


def default_threads() -> int:
    """Two workers where there are two cores or more (the deployment target), else one."""
    return min(2, os.cpu_count() or 1)


class PerTextRunner:
    """An onnxruntime session over (input_ids, attention_mask) of one text, run by ``threads`` workers."""

    def __init__(self, onnx_path: Path, output: str, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.output = output
        self.threads = max(1, threads or default_threads())
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _one(self, ids: Sequence[int]) -> np.ndarray:
        input_ids = np.asarray([ids], dtype=np.int64)
        (out,) = self._session.run(
            [self.output], {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
        )
        return np.asarray(out[0])

    def _many(self, batch: Sequence[Sequence[int]]) -> list[np.ndarray]:
        return [self._one(ids) for ids in batch]

    def run(self, token_ids: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """The output of each text (first dimension dropped), in order."""
        if self.threads == 1 or len(token_ids) < 2:
            return self._many(token_ids)
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="ort-text")
        # Longest first, dealt round-robin: the workers get about the same number of tokens.
        order = sorted(range(len(token_ids)), key=lambda i: -len(token_ids[i]))
        shares = [order[k :: self.threads] for k in range(self.threads)]
        results: list[Any] = [None] * len(token_ids)
        for share, outputs in zip(
            shares, self._pool.map(lambda s: self._many([token_ids[i] for i in s]), shares), strict=True
        ):
            for i, out in zip(share, outputs, strict=True):
                results[i] = out
        return results
