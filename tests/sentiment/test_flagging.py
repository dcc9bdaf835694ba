"""The flag policy and the signals beside the model, end to end through the scheduler's score job.

Settings -> scorer -> database on SQLite and PostgreSQL, with the real builtin model. A model with a
flag policy is the packaged model in a directory of its own whose bounceback_model.json carries a
``flag_policy`` (the ONNX file and tokenizer are linked, not copied). Thresholds are placed around the
P(negative) the model itself gives, never at a number tuned to it.
"""

import json
import math

import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bounceback.db import session
from bounceback.settings import Settings
from bounceback.tables import Mention, Score
from bounceback.watches import add_watch
from sentiment.builtin import MODEL_DIR, BuiltinClassifier
from sentiment.evaluate import evaluate, format_flag
from sentiment.flag_policy import CurvePoint, FlagPolicy, policy_to_meta
from sentiment.vader import VaderClassifier
from tests.factories import make_mention
from tests.sentiment.scorejob import score_job

LATE = "the parcel came a day late"  # no rating, no severity words: only the model can flag it


def _mentions(engine):
    with session(engine, readonly=True) as sess:
        return {m.id: m for m in sess.execute(select(Mention)).scalars()}


def _model_dir(path, policy):
    """The packaged model under ``path`` with ``policy`` in its metadata."""
    path.mkdir()
    for name in ("model.onnx", "tokenizer.json", "tokenizer_config.json"):
        (path / name).symlink_to(MODEL_DIR / name)
    meta = json.loads((MODEL_DIR / "bounceback_model.json").read_text(encoding="utf-8"))
    meta.update(policy_to_meta(policy))
    (path / "bounceback_model.json").write_text(json.dumps(meta), encoding="utf-8")
    return path


def _p_negative(builtin, text):
    return builtin.classify([text])[0].probabilities["negative"]


@pytest.fixture
def policy_dir(tmp_path, builtin):
    """A policy whose curve puts the 90 % threshold just below LATE's P(negative), the 50 % one above
    (at the packaged model's own temperature, so the probabilities are the ones measured here)."""
    p = _p_negative(builtin, LATE)
    gap = min(0.05, p / 2, (1 - p) / 2)
    curve = (CurvePoint(p - gap, 0.95, 0.7, 0.4), CurvePoint(p + gap, 0.6, 0.9, 0.1))
    policy = FlagPolicy(p - gap, 0.9, builtin.temperature, curve, selected_on="a test's two points")
    return _model_dir(tmp_path / "with-policy", policy), p, gap


def test_severity_words_flag_a_mention_the_model_does_not_call_negative(engine, monkeypatch):
    glass = make_mention(
        engine, status="new", text="Found a piece of glass in the sandwich. My lawyer will be in touch."
    ).id
    leak = make_mention(
        engine, status="new", text="The app showed me another customer's home address and card digits"
    ).id
    praise = make_mention(engine, status="new", text="This new feature is fire 🔥 love it").id

    counts = score_job(monkeypatch)

    assert counts["taken"] == 3 and counts["flagged"] == 2
    by_id = _mentions(engine)
    for mention_id, reason in (
        (glass, "critical: safety ('piece of glass')"),
        (leak, 'critical: data leak ("another customer\'s home address")'),
    ):
        mention = by_id[mention_id]
        assert mention.status == "open" and mention.severity == "critical" and mention.priority >= 150
        assert any(r.startswith(reason) for r in mention.flag_reasons), mention.flag_reasons
    assert by_id[praise].status == "scored" and by_id[praise].flagged_at is None


def test_german_two_star_review_is_flagged_with_german_severity_and_its_watch_match(engine, monkeypatch):
    watch = add_watch("zap", ["ZapMobile"], engine=engine)
    review = make_mention(
        engine,
        status="new",
        watch_id=watch.id,
        rating=2,
        text="ZapMobile: seit Wochen kein Netz. Ich will eine Rückerstattung und kündige meinen Vertrag.",
    ).id
    praise = make_mention(
        engine,
        status="new",
        watch_id=watch.id,
        rating=5,
        text="ZapMobile: hervorragender Service, alles kam pünktlich und gut verpackt an.",
    ).id

    counts = score_job(monkeypatch)

    assert counts["unsupported_language"] == 2 and counts["flagged"] == 2
    by_id = _mentions(engine)
    german = by_id[review]
    assert german.language == "de" and german.status == "open" and german.sentiment is None
    assert german.match_reason == "matched 'ZapMobile' (watch zap)"
    assert german.severity == "high" and german.priority >= 100
    assert german.flag_reasons[:2] == [
        "rating 2 of 5 (≤ 3 counts as a complaint)",
        "language not supported (de): a person should read it",
    ]
    assert "high: refund or money ('Rückerstattung')" in german.flag_reasons
    assert "high: cancellation ('kündige')" in german.flag_reasons
    happy = by_id[praise]
    assert happy.status == "open" and happy.severity == "low", "a person reads it, after the complaints"
    assert happy.match_reason == "matched 'ZapMobile' (watch zap)"
    with session(engine, readonly=True) as sess:
        assert list(sess.execute(select(Score)).scalars()) == [], "never mis-scored by the English model"


def test_french_review_with_lawyer_and_refund_words_gets_its_severity(engine, monkeypatch):
    review = make_mention(
        engine,
        status="new",
        text="Commande jamais livrée. Je veux un remboursement, sinon mon avocat s'en occupera.",
    ).id
    score_job(monkeypatch)
    french = _mentions(engine)[review]
    assert french.language == "fr" and french.status == "open"
    assert french.severity == "critical" and french.priority >= 150
    assert "critical: legal threat ('mon avocat')" in french.flag_reasons


def test_star_rating_alone_flags_a_review_without_words(engine, monkeypatch):
    stars = make_mention(engine, status="new", text="", rating=1).id
    score_job(monkeypatch)
    mention = _mentions(engine)[stars]
    assert mention.status == "open" and mention.severity == "medium"
    assert "rating 1 of 5 (≤ 3 counts as a complaint)" in mention.flag_reasons


def test_a_model_with_a_flag_policy_flags_at_its_threshold(engine, monkeypatch, policy_dir):
    path, p, gap = policy_dir
    late = make_mention(engine, status="new", text=LATE).id

    score_job(monkeypatch, BOUNCEBACK_MODEL_PATH=str(path))

    mention = _mentions(engine)[late]
    assert mention.status == "open"
    reason = f"negative (builtin:{path.name}, P(negative) {p:.2f} ≥ {p - gap:.2f}, set for 90 % recall)"
    assert reason in mention.flag_reasons
    with session(engine, readonly=True) as sess:
        (score,) = sess.execute(select(Score)).scalars()
    assert score.model == f"builtin:{path.name}"


def test_the_operators_recall_target_moves_the_threshold(engine, monkeypatch, policy_dir):
    path, _, _ = policy_dir
    late = make_mention(engine, status="new", text=LATE).id

    counts = score_job(monkeypatch, BOUNCEBACK_MODEL_PATH=str(path), BOUNCEBACK_FLAG_RECALL_TARGET="0.5")

    assert counts["scored"] == 1 and counts["flagged"] == 0
    assert _mentions(engine)[late].status == "scored", "0.5 recall asks for the higher threshold"


@pytest.mark.parametrize("value", ["0", "1.5", "-0.2"])
def test_recall_target_must_be_a_share(value, monkeypatch):
    monkeypatch.setenv("BOUNCEBACK_FLAG_RECALL_TARGET", value)
    with pytest.raises(ValidationError, match="flag_recall_target"):
        Settings()


def test_temperature_divides_the_logits_before_softmax(tmp_path, builtin):
    texts = [LATE, "I love it", "worst service ever"]
    hot = BuiltinClassifier(_model_dir(tmp_path / "hot", FlagPolicy(0.3, 0.9, temperature=2.0)))
    assert hot.flag_policy is not None and hot.flag_policy.temperature == 2.0
    for plain, warmed in zip(builtin.classify(texts), hot.classify(texts), strict=True):
        # the packaged model's log-probabilities are its logits / its own temperature, up to a constant
        logits = np.log([plain.probabilities[label] for label in builtin.labels]) * builtin.temperature
        expected = np.exp(logits / 2.0 - (logits / 2.0).max())
        got = [warmed.probabilities[label] for label in builtin.labels]
        assert got == pytest.approx((expected / expected.sum()).tolist(), abs=2e-5)
        assert got != pytest.approx([plain.probabilities[label] for label in builtin.labels], abs=1e-3)


def test_a_malformed_policy_refuses_to_load_the_model(tmp_path):
    from sentiment.base import ModelUnavailable

    path = _model_dir(tmp_path / "bad", FlagPolicy(0.3, 0.9))
    meta = json.loads((path / "bounceback_model.json").read_text(encoding="utf-8"))
    meta["flag_policy"]["recall_target"] = 0
    (path / "bounceback_model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="recall_target"):
        BuiltinClassifier(path)


def test_evaluate_reports_the_policys_recall_and_precision(tmp_path, builtin, policy_dir):
    path, p, gap = policy_dir
    rows = [
        (LATE, "negative"),
        ("Terrible, it broke on day one and support hung up on me", "negative"),
        ("I absolutely love this, best purchase ever", "positive"),
        ("The store opens at 9 on Mondays", "neutral"),
    ]
    data = tmp_path / "tiny.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in rows))
    classifier = BuiltinClassifier(path)
    p_neg = [pred.probabilities["negative"] for pred in classifier.classify([t for t, _ in rows])]
    flagged = [q >= p - gap for q in p_neg]
    caught = sum(f and lab == "negative" for f, (_, lab) in zip(flagged, rows, strict=True))

    ev = evaluate(classifier, data, recall_target=0.9)

    assert ev.flag is not None and ev.flag.threshold == pytest.approx(p - gap)
    assert ev.flag.recall == pytest.approx(caught / 2)
    assert ev.flag.precision == pytest.approx(caught / sum(flagged))
    assert format_flag(ev).startswith(
        f"builtin:{path.name}: flag policy: P(negative) ≥ {p - gap:.2f} (90 % target)"
    )
    lexicon = VaderClassifier()  # no flag policy: the plain threshold
    plain = evaluate(lexicon, data, fallback_threshold=0.6)
    assert plain.flag is not None and plain.flag.recall_target is None and plain.flag.threshold == 0.6
    assert "vader: no flag policy: P(negative) ≥ 0.60" in format_flag(plain)
    lexicon_p = [pred.probabilities["negative"] for pred in lexicon.classify([t for t, _ in rows])]
    assert math.isclose(plain.flag.flagged_share, sum(q >= 0.6 for q in lexicon_p) / 4)


def test_complaints_flagged_at_a_policy_threshold_form_incidents_whatever_the_winning_label(
    engine, tmp_path, builtin
):
    from sentiment.embeddings import embed
    from sentiment.scoring import Scorer, score_pending

    texts = ["my parcel came a day late", "the parcel came one day late", "parcel arrived a day late again"]
    lowest = min(_p_negative(builtin, t) for t in texts)
    path = _model_dir(tmp_path / "low-threshold", FlagPolicy(lowest * 0.9, 0.9, builtin.temperature))
    ids = [make_mention(engine, status="new", text=t).id for t in texts]

    score_pending(Scorer(BuiltinClassifier(path), embedder=embed), engine=engine)

    by_id = _mentions(engine)
    assert all(by_id[i].status == "open" for i in ids)
    incident = {by_id[i].incident_id for i in ids}
    assert len(incident) == 1 and None not in incident
