"""Model-selection checks: fixture reviews read from the captures, average precision, temperature fit."""

import json
import math

import numpy as np

from sentiment.calibrate import fit_temperature
from sentiment.checks import (
    average_precision,
    fixture_reviews,
    heldout_brand,
    selection_figures,
    selection_score,
    star_label,
)
from sentiment.corpus import SHARED_DATA, read_jsonl


def test_stars_become_labels_and_three_stars_is_left_out():
    assert [star_label(s) for s in (1, 2, 3, 4, 5)] == ["negative", "negative", None, "positive", "positive"]


def test_fixture_reviews_are_english_star_rated_and_unique():
    rows = fixture_reviews()
    assert len(rows) > 100
    assert {r.label for r in rows} == {"negative", "positive"}
    assert len({r.text for r in rows}) == len(rows)
    every = fixture_reviews(english_only=False)
    assert len(every) > len(rows), "the French and Chinese App Store pages are left out"


def test_fixture_reviews_match_the_capture_stars(tmp_path):
    feed = {
        "feed": {
            "entry": [
                {
                    "im:rating": {"label": "1"},
                    "title": {"label": "Broken"},
                    "content": {"label": "Crashes on start"},
                },
                {
                    "im:rating": {"label": "3"},
                    "title": {"label": "Meh"},
                    "content": {"label": "It is fine I guess"},
                },
                {"im:rating": {"label": "x"}, "content": {"label": "bad rating field"}},
                {
                    "im:rating": {"label": "5"},
                    "title": {"label": "Love it"},
                    "content": {"label": "Works great"},
                },
            ]
        }
    }
    (tmp_path / "appstore").mkdir()
    (tmp_path / "schemaorg").mkdir()
    (tmp_path / "appstore" / "page.json").write_text(json.dumps(feed), encoding="utf-8")
    rows = fixture_reviews(tmp_path, english_only=False)
    assert [(r.text, r.label) for r in rows] == [
        ("Broken. Crashes on start", "negative"),
        ("Love it. Works great", "positive"),
    ]


def test_the_checks_are_never_in_the_training_data():
    train = {" ".join(r.text.lower().split()) for r in read_jsonl(SHARED_DATA / "train.jsonl")}
    for row in heldout_brand() + fixture_reviews():
        assert " ".join(row.text.lower().split()) not in train


def test_average_precision_orders_by_score():
    assert average_precision([True, False, True], [0.9, 0.8, 0.7]) == (1 + 2 / 3) / 2
    assert average_precision([True, True, False], [0.9, 0.8, 0.1]) == 1.0
    assert average_precision([False, False], [0.5, 0.4]) == 0.0


def test_selection_score_averages_the_three_figures():
    perfect = selection_figures(["negative", "positive"], [[0.9, 0.05, 0.05], [0.1, 0.1, 0.8]])
    assert perfect["neg_ap"] == 1.0 and perfect["accuracy"] == 1.0
    figures = {"heldout_brand": {**perfect, "macro_f1": 0.5}, "fixture_reviews": perfect}
    assert math.isclose(selection_score(figures), (0.5 + 1.0 + 1.0) / 3)


def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 3, size=(4000, 3))
    true_t = 2.0
    probs = np.exp(logits / true_t)
    probs /= probs.sum(axis=1, keepdims=True)
    gold = np.array([rng.choice(3, p=p) for p in probs])
    assert abs(fit_temperature(logits, gold) - true_t) <= 0.2
    sharp = logits.argmax(axis=1)  # labels that always follow the logits: sharpen (T < 1)
    assert fit_temperature(logits, sharp) < 1.0


def test_calibrating_a_calibrated_model_gives_the_same_policy(tmp_path):
    import shutil

    from sentiment.builtin import MODEL_DIR, BuiltinClassifier
    from sentiment.calibrate import calibrate

    model = tmp_path / "model"
    shutil.copytree(MODEL_DIR, model)
    packaged = BuiltinClassifier(MODEL_DIR).flag_policy
    assert packaged is not None and packaged.temperature != 1.0
    again = calibrate(model, packaged.recall_target)  # measured through the packaged temperature
    assert again.temperature == packaged.temperature and again.threshold == packaged.threshold
    assert BuiltinClassifier(model).flag_policy == again
