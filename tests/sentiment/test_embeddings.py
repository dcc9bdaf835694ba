"""Incident embeddings through onnxruntime: as torch's, no torch in the scoring process, one export."""

import json
import logging
import subprocess
import sys

import numpy as np
import pytest
from sqlalchemy import select

from bounceback.db import session
from bounceback.tables import Incident, Mention
from sentiment.corpus import SHARED_DATA
from sentiment.embeddings import MAX_TOKENS, EmbedderUnavailable, OnnxEmbedder, embed, export_name
from sentiment.scoring import Scorer, score_pending
from tests.factories import make_mention

CRASHES = [
    "The app crashes every time I try to pay for my order. Useless.",
    "Your app keeps crashing at checkout when I pay, so annoying",
    "App crashed again while paying for my order, I give up",
]


def _dev_texts(n: int) -> list[str]:
    """``n`` real texts spread over dev.jsonl (tweets, reviews, news, movie snippets)."""
    rows = [json.loads(line) for line in (SHARED_DATA / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    return [row["text"] for row in rows[:: len(rows) // n]][:n]


def test_onnx_embeddings_agree_with_sentence_transformers_on_real_texts():
    from sentence_transformers import SentenceTransformer

    from sentiment.train import base_model_dir

    texts = _dev_texts(120)
    reference = SentenceTransformer(str(base_model_dir()), device="cpu")
    reference.max_seq_length = MAX_TOKENS
    expected = reference.encode(texts, batch_size=16, normalize_embeddings=True)
    got = embed(texts)
    assert got.shape == (120, 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = (got * expected).sum(axis=1)
    assert cosines.min() >= 0.99, f"worst text: {texts[int(cosines.argmin())]!r} ({cosines.min():.4f})"


def test_a_text_gets_the_same_vector_alone_in_a_batch_or_from_the_cache():
    embedder = OnnxEmbedder()
    texts = _dev_texts(20)
    together = embedder(texts)
    alone = OnnxEmbedder()([texts[7]])[0]
    assert np.allclose(together[7], alone, atol=1e-6)
    assert np.array_equal(embedder(texts[5:9]), together[5:9])  # from the cache


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_scoring_process_groups_incidents_without_importing_torch(engine):
    for text in CRASHES:
        make_mention(engine, status="new", text=text)
    code = (
        "import json, sys\n"
        "from bounceback.cli import main\n"
        "main(['score'])\n"
        "print(json.dumps({m: m in sys.modules for m in ('torch', 'transformers')}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    counts, imported = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert counts["flagged"] == 3 and counts["incident_members"] == 3
    assert imported == {"torch": False, "transformers": False}
    with session(engine, readonly=True) as sess:
        assert len(list(sess.execute(select(Incident)).scalars())) == 1


def test_scores_still_land_when_the_embedder_cannot_load(engine, builtin, caplog):
    def unavailable(texts):
        raise EmbedderUnavailable("no ONNX embedding model and no torch to export one")

    for text in CRASHES:
        make_mention(engine, status="new", text=text)
    scorer = Scorer(builtin, threshold=0.6, embedder=unavailable)
    with caplog.at_level(logging.ERROR, logger="sentiment.scoring"):
        counts = score_pending(scorer, engine=engine)
    assert counts["flagged"] == 3 and counts["incident_members"] == 0
    assert "incident grouping is off: no ONNX embedding model" in caplog.text
    with session(engine, readonly=True) as sess:
        assert {m.status for m in sess.execute(select(Mention)).scalars()} == {"open"}


@pytest.mark.slow
def test_two_workers_missing_the_export_make_it_once_in_a_subprocess(tmp_path):
    """Both start with an empty cache: one exports (in a torch subprocess), the other waits and reuses it."""
    root = tmp_path / "cache"
    code = (
        "import json, logging, sys\n"
        "from pathlib import Path\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from sentiment.embeddings import OnnxEmbedder\n"
        f"vector = OnnxEmbedder([Path({str(root)!r})])([{CRASHES[0]!r}])[0]\n"
        "print(json.dumps({'torch': 'torch' in sys.modules, 'vector': vector.tolist()}))\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=900) for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outputs]
    logs = "".join(err for _, err in outputs)
    assert logs.count("exported: ") - logs.count("already exported: ") == 1
    assert logs.count("already exported: ") == 1
    assert sorted(p.name for p in root.iterdir()) == [".export.lock", export_name()], "no half export left"
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert not any(r["torch"] for r in results)
    expected = embed([CRASHES[0]])[0]
    for result in results:
        assert np.allclose(result["vector"], expected, atol=1e-5)
