"""The training code runs end to end on a tiny slice: fine-tune, export ONNX int8, load and classify."""

import json

from sentiment.builtin import BuiltinClassifier
from sentiment.corpus import BRAND_CARE, SHARED_DATA, length_grouped_batches, read_jsonl
from sentiment.labels import LABELS
from sentiment.train import TrainConfig, parse_args, train


def test_length_grouped_batches_cover_every_row_once_and_are_reproducible():
    lengths = [(i * 37) % 60 + 1 for i in range(1000)]
    batches = length_grouped_batches(lengths, 32, seed=3)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert batches == length_grouped_batches(lengths, 32, seed=3)
    assert batches != length_grouped_batches(lengths, 32, seed=4)
    spread = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]
    assert sum(spread) / len(spread) < 5  # similar lengths share a batch: little padding


def test_brand_care_rows_are_valid_and_cover_all_labels():
    rows = read_jsonl(BRAND_CARE)
    assert len(rows) > 300
    assert {r.label for r in rows} == set(LABELS)
    assert all("{brand}" not in r.text for r in rows)


def test_tiny_training_run_exports_a_working_int8_model(tmp_path):
    out = tmp_path / "model"
    config = parse_args(
        [
            "--train",
            str(SHARED_DATA / "train.jsonl"),
            "--dev",
            str(SHARED_DATA / "dev.jsonl"),
            "--limit",
            "64",
            "--max-steps",
            "3",
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--out",
            str(out),
        ]
    )
    assert isinstance(config, TrainConfig) and config.max_steps == 3
    summary = train(config)
    assert summary["history"][-1]["steps"] == 3 and summary["selected_by"].startswith("selection checks")
    meta = json.loads((out / "bounceback_model.json").read_text())
    assert meta["labels"] == list(LABELS) and meta["training"]["training_rows"] == 64
    assert (out / "model.onnx").stat().st_size < 30_000_000
    classifier = BuiltinClassifier(out)
    predictions = classifier.classify(["I love it", "", "worst service ever " * 200])
    assert [p.label in LABELS for p in predictions] == [True, True, True]
    assert all(abs(sum(p.probabilities.values()) - 1) < 1e-3 for p in predictions)
    assert classifier.revision == meta["revision"]
    policy = classifier.flag_policy  # calibrated on the selection checks after the export
    assert policy is not None and policy.curve and policy.recall_target == 0.9
    assert 0.4 <= policy.temperature <= 4.0


def test_training_leaves_out_the_sources_it_is_told_to(tmp_path):
    movies = tmp_path / "mixed.jsonl"
    movies.write_text(
        '{"text": "a dull film", "label": "negative", "source": "vader_movies"}\n'
        '{"text": "the parcel never came", "label": "negative", "source": "brand_care"}\n',
        encoding="utf-8",
    )
    from sentiment.train import _load_training_rows

    kept = _load_training_rows(TrainConfig(train=[str(movies)]))
    assert [r.source for r in kept] == ["brand_care"], "the recipe leaves the movie snippets out"
    assert len(_load_training_rows(TrainConfig(train=[str(movies)], drop_sources=[]))) == 2
