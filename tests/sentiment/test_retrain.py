"""`bounceback model retrain`: tiny CPU trainings that must be refused when worse and installed when better.

The database is SQLite only here (the trainings are the slow part); reading corrections on both kinds
is tested in test_corrections.py.
"""

import json
import subprocess
import sys

import pytest
from sqlalchemy import insert

from bounceback.settings import get_settings
from bounceback.tables import Correction
from bounceback.types import utcnow
from sentiment.corpus import SHARED_DATA, read_jsonl
from sentiment.corrections import read_corrections
from sentiment.model_store import ModelStore, load_active
from sentiment.retrain import AP_SLACK, CheckResult, Comparison, Figures, decide
from sentiment.train import TrainConfig, train
from tests.factories import make_mention

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
CORRECTIONS = [
    ("The refund never arrived and support stopped answering my emails", "negative"),
    ("Third time this month the app logs me out and deletes my basket", "negative"),
    ("Your driver threw the parcel over the fence and it broke", "negative"),
    ("I was charged twice for one order and nobody replies", "negative"),
    ("Does the new store in Leeds open on Sundays?", "neutral"),
    ("Is there a student discount on the yearly plan?", "neutral"),
    ("The parcel arrived a day early and the packaging was perfect, thank you", "positive"),
    ("Support fixed my account in five minutes, brilliant service", "positive"),
    ("Acme the band is playing in town tonight", "not_about_us"),
]


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "bounceback", *args], capture_output=True, text=True, timeout=280
    )


def add_corrections(engine):
    table = Correction.__table__
    for text, label in CORRECTIONS:
        mention = make_mention(engine, text=text)
        with engine.begin() as conn:
            conn.execute(
                insert(table).values(mention_id=mention.id, label=label, by="alice", created_at=utcnow())
            )


@pytest.fixture(scope="module")
def weak_model(tmp_path_factory):
    """A deliberately bad model: fine-tuned on texts that were all labelled positive."""
    work = tmp_path_factory.mktemp("weak")
    rows = read_jsonl(SHARED_DATA / "train.jsonl", 32)
    data = work / "all_positive.jsonl"
    data.write_text(
        "".join(json.dumps({"text": r.text, "label": "positive", "source": "x"}) + "\n" for r in rows)
    )
    config = TrainConfig(
        train=[str(data)],
        dev=str(data),
        out=str(work / "model"),
        checkpoint=str(work / "checkpoint"),
        max_steps=4,
        batch_size=8,
        learning_rate=3e-4,
    )
    train(config)
    return work / "model"


@SQLITE_ONLY
def test_retrain_refuses_a_worse_candidate_and_changes_nothing(engine):
    add_corrections(engine)
    store = ModelStore.for_settings(get_settings())
    before = [(e.name, e.revision, e.ok) for e in store.entries()]
    done = _cli("model", "retrain", "--limit", "64", "--max-steps", "1", "--batch-size", "8")
    assert done.returncode == 1, done.stdout + done.stderr
    found = read_corrections(engine)
    assert f"9 read, {len(found.train)} to train on, {len(found.held_out)} held out" in done.stdout
    assert "expect about" in done.stdout  # the time it will take, said before training
    assert "| mean of the deciding checks |" in done.stdout  # both models' figures
    assert "NOT INSTALLED: macro-F1" in done.stdout and "packaged (" in done.stdout
    assert [(e.name, e.revision, e.ok) for e in store.entries()] == before
    assert store.active_name() == "packaged" and not (store.root / "ACTIVE").exists()


@SQLITE_ONLY
def test_retrain_installs_a_better_model_under_a_new_revision(engine, weak_model):
    add_corrections(engine)
    settings = get_settings()
    store = ModelStore.for_settings(settings)
    weak = store.install(
        weak_model, "# deliberately weak: every training label was positive\n", {"created": ""}
    )
    store.use(weak.name)
    done = _cli(
        "model",
        "retrain",
        "--limit",
        "96",
        "--max-steps",
        "18",
        "--batch-size",
        "16",
        "--learning-rate",
        "3e-4",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    new = [e for e in store.entries() if e.name not in ("packaged", weak.name)]
    assert len(new) == 1 and new[0].ok and store.active_name() == new[0].name
    assert load_active(settings).revision == new[0].revision  # what scoring loads now
    assert f"installed {new[0].name} and made it active" in done.stdout

    corrections = read_corrections(engine)
    metrics = new[0].metrics
    assert metrics["compared_with"]["revision"] == weak.revision
    assert metrics["corrections"]["used_for_training"] == len(corrections.train)
    assert metrics["corrections"]["held_out"] == len(corrections.held_out)
    assert metrics["training_counts_by_source"]["correction"] == len(corrections.train)
    mean = metrics["mean"]
    assert mean["candidate"]["macro_f1"] > mean["installed"]["macro_f1"]
    assert any(c["name"] == "corrections (held out)" for c in metrics["checks"]) == bool(corrections.held_out)
    card = (new[0].path / "MODEL_CARD.md").read_text()
    assert f"**{len(corrections.train)} used for training**" in card and weak.revision in card
    assert "Installed because it did better" in card

    assert _cli("model", "use", weak.name).returncode == 0  # the old one stays, for a roll back
    assert store.active_name() == weak.name


def _comparison(new_f1, new_ap, old_f1=0.6, old_ap=0.8):
    new = Figures(100, 0.7, new_f1, 0.99, 0.5, 0.7, 0.1, new_ap)  # flags more: recall is not decisive
    old = Figures(100, 0.7, old_f1, 0.9, 0.7, 0.7, 0.5, old_ap)
    return Comparison([CheckResult("check", new, old, True)], new, old)


def test_decision_needs_better_macro_f1_without_ranking_complaints_worse():
    assert decide(_comparison(0.62, 0.8)).install
    assert decide(_comparison(0.62, 0.8 - AP_SLACK / 2)).install
    refused = decide(_comparison(0.62, 0.7))
    assert (
        not refused.install
        and "would fall from 0.800 to 0.700" in refused.reason
        and "average precision" in refused.reason
    )
    assert not decide(_comparison(0.6, 0.9)).install  # equal macro-F1 is not better
    assert "not above" in decide(_comparison(0.5, 0.95)).reason
    forced = decide(_comparison(0.5, 0.95), force=True)
    assert forced.install and forced.forced
    empty = Figures(0, 0, 0, 0, 0, 0, 0)
    assert not decide(Comparison([], empty, empty)).install
