"""`python -m sentiment.evaluate` and the builtin model's quality against VADER."""

import json
import subprocess
import sys

import pytest

from sentiment.corpus import SHARED_DATA
from sentiment.evaluate import evaluate
from sentiment.metrics import score
from sentiment.vader import VaderClassifier


def test_metrics_match_a_hand_computed_example():
    gold = ["negative", "negative", "neutral", "positive", "positive", "positive"]
    pred = ["negative", "neutral", "neutral", "positive", "negative", "positive"]
    report = score(gold, pred)
    assert report.accuracy == pytest.approx(4 / 6)
    neg = report.per_class["negative"]
    assert (neg.precision, neg.recall, neg.f1) == pytest.approx((0.5, 0.5, 0.5))
    assert report.per_class["neutral"].f1 == pytest.approx(2 / 3)
    assert report.per_class["positive"].f1 == pytest.approx(0.8)
    assert report.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0.8) / 3)


def test_evaluate_cli_prints_the_model_and_vader_in_one_run(tmp_path):
    rows = [
        ("I absolutely love this, best purchase ever", "positive"),
        ("Terrible, it broke on day one and support hung up on me", "negative"),
        ("The store opens at 9 on Mondays", "neutral"),
        ("Worst airline I have ever flown with", "negative"),
    ]
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in rows))
    done = subprocess.run(
        [sys.executable, "-m", "sentiment.evaluate", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = json.loads(done.stdout)
    assert [r["model"] for r in results] == ["builtin", "vader"]
    assert all(r["report"]["n"] == 4 for r in results)
    assert results[0]["report"]["accuracy"] == 1.0
    table = subprocess.run(
        [sys.executable, "-m", "sentiment.evaluate", str(path), "--model", "vader"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "neg. F1" in table and table.count("| vader |") == 1


def test_builtin_beats_vader_by_ten_points_on_a_dev_sample(builtin, tmp_path):
    lines = (SHARED_DATA / "dev.jsonl").read_text(encoding="utf-8").splitlines()[::5]
    sample = tmp_path / "dev_sample.jsonl"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ours = evaluate(builtin, sample).report
    lexicon = evaluate(VaderClassifier(), sample).report
    assert ours.n == lexicon.n == len(lines)
    assert ours.macro_f1 >= lexicon.macro_f1 + 0.10, (ours.macro_f1, lexicon.macro_f1)
    assert ours.per_class["negative"].f1 > lexicon.per_class["negative"].f1
