"""Backends behind the Classifier protocol: huggingface (the tiny model of conftest), VADER, the registry."""

import logging

import pytest
import torch

from sentiment.base import Classifier, ModelUnavailable
from sentiment.huggingface import HuggingFaceClassifier
from sentiment.registry import BACKENDS, backend_class, load_classifier
from sentiment.vader import VaderClassifier


def test_huggingface_backend_maps_model_labels_by_setting(tiny_model_dir):
    mapping = {"LABEL_0": "positive", "LABEL_1": "neutral", "LABEL_2": "negative"}
    classifier = HuggingFaceClassifier(str(tiny_model_dir), mapping)
    predictions = classifier.classify(["great stuff", "the parcel never came"])
    assert isinstance(classifier, Classifier)
    assert [p.label for p in predictions] == ["negative", "negative"]
    expected = torch.softmax(torch.tensor([0.0, 1.0, 4.0]), dim=0)
    assert predictions[0].probabilities["negative"] == pytest.approx(float(expected[2]), abs=1e-4)
    assert predictions[0].probabilities["positive"] == pytest.approx(float(expected[0]), abs=1e-4)
    assert classifier.name == f"huggingface:{tiny_model_dir.name}"


def test_huggingface_backend_refuses_unmapped_labels(tiny_model_dir):
    with pytest.raises(ModelUnavailable, match=r"\['LABEL_0', 'LABEL_1', 'LABEL_2'\] have no mapping"):
        HuggingFaceClassifier(str(tiny_model_dir))


def test_vader_reads_plain_polarity():
    labels = [p.label for p in VaderClassifier().classify(["I love it", "I hate it", "It is a box"])]
    assert labels == ["positive", "negative", "neutral"]


def test_every_registered_backend_is_importable():
    for name in BACKENDS:
        assert backend_class(name).__name__.endswith("Classifier")
    with pytest.raises(ValueError, match="choose one of builtin, huggingface, vader"):
        backend_class("nope")


def test_missing_model_falls_back_to_vader_loudly(tmp_path, caplog):
    from bounceback.settings import Settings

    settings = Settings(classifier="builtin", model_path=str(tmp_path / "nothing-here"))
    with caplog.at_level(logging.ERROR, logger="sentiment.registry"):
        classifier = load_classifier(settings)
    assert classifier.name == "vader"
    assert "FALLING BACK TO VADER" in caplog.text
    with pytest.raises(ModelUnavailable):
        load_classifier(settings, fallback=False)


def test_builtin_scores_a_text_the_same_whatever_else_is_in_the_call(builtin):
    """Each text runs alone: with padded int8 batches, 2.3 % of dev labels changed with their neighbours."""
    from sentiment.corpus import SHARED_DATA, read_jsonl

    texts = [row.text for row in read_jsonl(SHARED_DATA / "dev.jsonl")[:300:5]]
    together = builtin.classify(texts)
    shuffled = builtin.classify(texts[::-1])[::-1]
    for i in (0, 17, 42, len(texts) - 1):
        alone = builtin.classify([texts[i]])[0]
        assert alone.probabilities == together[i].probabilities == shuffled[i].probabilities
