"""Export a fine-tuned checkpoint to ONNX and quantise it to int8 for the builtin backend.

Run on its own with `python -m sentiment.export CHECKPOINT_DIR [OUT_DIR]`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from sentiment.labels import LABELS

ONNX_FILE = "model.onnx"
META_FILE = "bounceback_model.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def file_revision(path: Path) -> str:
    """The first 12 hex digits of the file's sha256: the model revision stored with every score."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def export_onnx_fp32(checkpoint: Path, target: Path) -> None:
    """Trace the classifier (input_ids, attention_mask -> logits) into an fp32 ONNX graph."""
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(checkpoint)
    model.eval()
    trace(model, target)


def one_output(model: Any, output: str) -> Any:
    """A torch module returning only ``model(input_ids=..., attention_mask=...).<output>`` (a tensor)."""
    import torch

    class OneOutput(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            result: torch.Tensor = getattr(
                self.inner(input_ids=input_ids, attention_mask=attention_mask), output
            )
            return result

    return OneOutput(model)


def trace(model: Any, target: Path, output: str = "logits") -> None:
    """torch.onnx.export of ``model(input_ids, attention_mask).<output>``, batch and length dynamic."""
    import torch

    dummy_ids = torch.ones((2, 16), dtype=torch.long)
    dummy_mask = torch.ones((2, 16), dtype=torch.long)
    output_axes = {0: "batch", 1: "sequence"} if output == "last_hidden_state" else {0: "batch"}
    with warnings.catch_warnings():
        # The tracer warns that shape checks become constants; ids and mask always share a shape here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            one_output(model, output),
            (dummy_ids, dummy_mask),
            str(target),
            input_names=["input_ids", "attention_mask"],
            output_names=[output],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                output: output_axes,
            },
            opset_version=17,
            dynamo=False,
            do_constant_folding=True,
        )


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights (activations stay float), onnxruntime's recipe for BERT."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)


def export_int8(checkpoint: Path, out: Path, max_length: int, summary: dict[str, Any] | None = None) -> Path:
    """Write out/model.onnx (int8), the tokenizer files and bounceback_model.json; return the ONNX path."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        export_onnx_fp32(checkpoint, fp32)
        quantize_int8(fp32, out / ONNX_FILE)
    for name in TOKENIZER_FILES:
        if (checkpoint / name).exists():
            shutil.copyfile(checkpoint / name, out / name)
    meta = {
        "labels": list(LABELS),
        "max_length": max_length,
        "revision": file_revision(out / ONNX_FILE),
        "inputs": ["input_ids", "attention_mask"],
        "quantization": "onnxruntime dynamic int8 (QInt8 weights)",
    }
    if summary is not None:
        meta["training"] = summary
    (out / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return out / ONNX_FILE


def main(argv: list[str] | None = None) -> None:
    """Entry point of `python -m sentiment.export CHECKPOINT [OUT]`."""
    args = sys.argv[1:] if argv is None else argv
    checkpoint = Path(args[0])
    out = Path(args[1]) if len(args) > 1 else Path(__file__).resolve().parent / "model"
    summary_file = checkpoint / "training_summary.json"
    summary = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.exists() else None
    max_length = int(summary["config"]["max_length"]) if summary else 128
    print(export_int8(checkpoint, out, max_length, summary))


if __name__ == "__main__":
    main()
