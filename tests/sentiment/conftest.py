"""Fixtures of the sentiment tests: the committed builtin model, a scorer around it, a tiny HF model."""

import pytest

from sentiment.builtin import BuiltinClassifier
from sentiment.embeddings import embed
from sentiment.scoring import Scorer
from sentiment.vader import VaderClassifier


@pytest.fixture(scope="session")
def builtin():
    """The committed int8 model (sentiment/model)."""
    return BuiltinClassifier()


@pytest.fixture
def scorer(builtin):
    """Builtin classifier, MiniLM embeddings for incidents, threshold 0.6."""
    return Scorer(builtin, threshold=0.6, embedder=embed)


@pytest.fixture
def vader_scorer():
    return Scorer(VaderClassifier(), threshold=0.3)


TINY_LABEL_MAP = {"LABEL_0": "positive", "LABEL_1": "neutral", "LABEL_2": "negative"}


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A 1-layer BERT whose head always prefers LABEL_2, saved with the MiniLM tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from sentiment.train import base_model_dir

    path = tmp_path_factory.mktemp("tiny-hf")
    tokenizer = AutoTokenizer.from_pretrained(base_model_dir())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=3,
        id2label={0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"},
        label2id={"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2},
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, 1.0, 4.0]))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
