"""The model registry: packaged default, atomic installs, `model list|use`, broken entries never chosen."""

import json
import logging
import os
import shutil
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from bounceback.db import session
from bounceback.errors import InvalidInput
from bounceback.settings import Settings, get_settings
from bounceback.tables import Score
from bounceback.types import utcnow
from sentiment.builtin import MODEL_DIR
from sentiment.export import file_revision
from sentiment.model_store import ModelStore, load_active
from sentiment.scoring import rescore_since, score_pending
from sentiment.service import build_scorer
from tests.factories import make_mention


def copy_of_packaged(dest, note):
    """The packaged model re-saved with another doc string: same weights, a revision of its own."""
    import onnx

    dest.mkdir(parents=True)
    model = onnx.load(str(MODEL_DIR / "model.onnx"))
    model.doc_string = note
    onnx.save(model, str(dest / "model.onnx"))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(MODEL_DIR / name, dest / name)
    meta = json.loads((MODEL_DIR / "bounceback_model.json").read_text())
    meta["revision"] = file_revision(dest / "model.onnx")
    (dest / "bounceback_model.json").write_text(json.dumps(meta))
    return dest


def install_copy(store, tmp_path, note, created="2026-12-01T00:00:00+00:00"):
    candidate = copy_of_packaged(tmp_path / f"candidate-{note}", note)
    metrics = {"created": created, "training_rows": 7, "corrections": {"used_for_training": 3}}
    return store.install(candidate, f"# {note}\n", metrics)


def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "bounceback", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_the_packaged_model_is_the_default_entry(tmp_path):
    settings = Settings(data_dir=tmp_path)
    store = ModelStore.for_settings(settings)
    assert [e.name for e in store.entries()] == ["packaged"]
    assert store.active_name() == "packaged"
    packaged = store.resolve()
    assert packaged.ok and packaged.path == MODEL_DIR
    classifier = load_active(settings)
    assert (classifier.name, classifier.revision) == ("builtin", packaged.revision)
    assert not store.root.exists()  # reading creates nothing


def test_install_is_whole_or_nothing_and_never_overwrites(tmp_path):
    store = ModelStore(tmp_path / "models")
    entry = install_copy(store, tmp_path, "one")
    assert entry.ok and entry.path == store.root / entry.revision
    assert (entry.path / "MODEL_CARD.md").read_text() == "# one\n"
    assert store.active_name() == "packaged"  # installing does not switch models
    with pytest.raises(InvalidInput, match="already installed; nothing was overwritten"):
        store.install(tmp_path / "candidate-one", "# another card\n", {})
    assert (entry.path / "MODEL_CARD.md").read_text() == "# one\n"
    with pytest.raises(InvalidInput, match="already installed"):
        store.install(MODEL_DIR, "# packaged again\n", {})
    broken = copy_of_packaged(tmp_path / "broken", "two")
    (broken / "tokenizer.json").unlink()
    with pytest.raises(InvalidInput, match=r"missing tokenizer\.json"):
        store.install(broken, "# two\n", {})
    assert sorted(p.name for p in store.root.iterdir()) == [entry.revision]  # no staging left behind


def test_a_broken_entry_is_reported_and_never_selected(tmp_path, caplog):
    store = ModelStore(tmp_path / "models")
    good = install_copy(store, tmp_path, "good")
    bad = install_copy(store, tmp_path, "bad", created="2026-12-02T00:00:00+00:00")
    store.use(bad.name)
    (bad.path / "tokenizer.json").unlink()
    listed = {e.name: e for e in store.entries()}
    assert listed[bad.name].problem == "missing tokenizer.json" and listed[good.name].ok
    with caplog.at_level(logging.ERROR, logger="sentiment.model_store"):
        assert store.resolve().name == "packaged"
    assert f"model {bad.name} (from {store.root / 'ACTIVE'}) is broken: missing tokenizer.json" in caplog.text
    with pytest.raises(InvalidInput, match="is broken"):
        store.use(bad.name)
    assert store.active_name() == bad.name  # the refused `use` changed nothing

    store.use(good.name)
    with (good.path / "model.onnx").open("ab") as handle:  # weights altered after installation
        handle.write(b"\0")
    assert "model.onnx has changed" in store.get(good.name).problem
    assert store.resolve().name == "packaged"
    assert store.resolve(override=good.name).name == "packaged"
    assert load_active(Settings(data_dir=tmp_path)).revision == store.packaged().revision

    (store.root / "not-a-revision").mkdir()
    assert "missing" in {e.name: e for e in store.entries()}["not-a-revision"].problem
    with pytest.raises(InvalidInput, match="no model 'not-a-revision'"):
        store.use("not-a-revision")


def test_model_list_and_use_round_trip(tmp_path):
    store = ModelStore(tmp_path / "models")
    entry = install_copy(store, tmp_path, "one")
    env = {"BOUNCEBACK_DATA_DIR": str(tmp_path)}

    def listing(**extra):
        done = _cli("model", "list", "--json", env={**env, **extra})
        assert done.returncode == 0, done.stderr
        return {row["name"]: row for row in json.loads(done.stdout)}

    rows = listing()
    assert rows["packaged"]["active"] and not rows[entry.name]["active"]
    assert rows[entry.name]["corrections"] == 3 and rows[entry.name]["training_rows"] == 7
    used = _cli("model", "use", entry.name, env=env)
    assert used.returncode == 0 and "is active" in used.stdout, used.stderr
    assert listing()[entry.name]["active"] and (store.root / "ACTIVE").read_text().strip() == entry.name
    table = _cli("model", "list", env=env).stdout.splitlines()
    assert any(line.startswith("*") and entry.name in line for line in table)
    assert _cli("model", "use", "packaged", env=env).returncode == 0
    assert listing()["packaged"]["active"]
    assert listing(BOUNCEBACK_MODEL_REVISION=entry.name)[entry.name]["active"]  # the setting wins

    unknown = _cli("model", "use", "0123456789ab", env=env)
    assert unknown.returncode == 1
    assert "no model '0123456789ab'" in unknown.stderr and entry.name in unknown.stderr
    assert _cli("model", "use", "../../etc", env=env).returncode == 1
    assert store.active_name() == "packaged"


def test_model_use_reaches_the_next_scoring_pass_and_rescoring_keeps_old_scores(engine, tmp_path):
    settings = get_settings()
    store = ModelStore.for_settings(settings)
    mention = make_mention(engine, status="new", text="My order is three weeks late and nobody replies")
    first = build_scorer(settings, incidents=False)
    assert score_pending(first, batch_size=10)["scored"] == 1
    entry = install_copy(store, tmp_path, "next")
    store.use(entry.name)
    second = build_scorer(settings, incidents=False)
    assert (second.classifier.name, second.classifier.revision) == ("builtin", entry.revision)
    assert rescore_since(second, utcnow() - timedelta(hours=1), batch_size=10)["taken"] == 1
    with session(engine, readonly=True) as sess:
        scores = sess.execute(
            select(Score).where(Score.mention_id == mention.id).order_by(Score.id)
        ).scalars()
        assert [(s.model, s.revision) for s in scores] == [
            ("builtin", store.packaged().revision),
            ("builtin", entry.revision),
        ]
