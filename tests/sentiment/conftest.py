"""Fixtures of the sentiment tests: the committed builtin model and a scorer around it."""

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
