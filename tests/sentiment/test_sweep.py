"""The GPU sweep's bundle: what travels is the base model (word embeddings int8 per row), and what comes
back rebuilds the model."""

import torch
from safetensors.torch import load_file

from sentiment.sweep import PART_BYTES, _save_parts
from sentiment.sweep_bundle import EMBEDDING_KEY, pack
from sentiment.train import base_model_dir


def test_pack_keeps_the_base_model_within_int8_rounding(tmp_path):
    pack(tmp_path)
    base = load_file(str(base_model_dir() / "model.safetensors"))
    rows = load_file(str(tmp_path / "embedding_rows.safetensors"))
    ids = rows["ids"].long()
    restored = rows["rows"].float() * rows["scale"].unsqueeze(1)
    original = base[EMBEDDING_KEY][ids]
    assert torch.all((restored - original).abs() <= rows["scale"].unsqueeze(1) / 2 + 1e-7)
    assert len(ids) < base[EMBEDDING_KEY].shape[0], "only the tokens the data uses travel"
    encoder = load_file(str(tmp_path / "encoder_fp16.safetensors"))
    assert set(encoder) == set(base) - {EMBEDDING_KEY}
    assert {p.name for p in (tmp_path / "checks").iterdir()} >= {
        "heldout_brand.jsonl",
        "fixture_reviews.jsonl",
    }


def test_weights_come_back_in_parts_under_the_file_limit(tmp_path):
    state = {f"layer{i}.weight": torch.randn(1000, 1000) for i in range(9)}  # 36 MB
    names = _save_parts(state, tmp_path)
    assert len(names) == 3
    back: dict[str, torch.Tensor] = {}
    for name in names:
        assert (tmp_path / name).stat().st_size < PART_BYTES + 100_000
        back.update(load_file(str(tmp_path / name)))
    assert back.keys() == state.keys() and all(torch.equal(back[k], state[k]) for k in state)
