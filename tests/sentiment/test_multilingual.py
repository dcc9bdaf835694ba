"""Texts not in English, end to end through the scheduler's score job (settings -> scorer -> database).

With ``BOUNCEBACK_MULTILINGUAL_MODEL`` set (here the tiny huggingface model of conftest, which always
answers LABEL_2 -> negative) they are scored by it; without it they are put on the queue marked
"language not supported" for a person to read, with no score. English goes to the builtin model either way.
"""

import json

import pytest
from sqlalchemy import select

from bounceback.db import session
from bounceback.tables import Activity, Mention, Score
from tests.factories import make_mention
from tests.sentiment.conftest import TINY_LABEL_MAP
from tests.sentiment.scorejob import score_job

GERMAN = "Der Kundenservice ist eine Katastrophe, ich will sofort mein Geld zurück!"
FRENCH = "Le service client ne répond jamais et je veux être remboursé tout de suite."
ENGLISH = "You charged me twice and support ignores me. I want a refund now!"


def _rows(engine, model):
    with session(engine, readonly=True) as sess:
        return list(sess.execute(select(model)).scalars())


@pytest.fixture
def mentions(engine):
    return {
        lang: make_mention(engine, status="new", text=text).id
        for lang, text in (("de", GERMAN), ("fr", FRENCH), ("en", ENGLISH))
    }


def test_configured_multilingual_model_scores_other_languages(engine, mentions, tiny_model_dir, monkeypatch):
    counts = score_job(
        monkeypatch,
        BOUNCEBACK_MULTILINGUAL_MODEL=str(tiny_model_dir),
        BOUNCEBACK_HF_LABEL_MAP=json.dumps(TINY_LABEL_MAP),
    )

    assert counts["taken"] == 3 and counts["scored"] == 3 and counts["unsupported_language"] == 0
    scores = {s.mention_id: s for s in _rows(engine, Score)}
    by_id = {m.id: m for m in _rows(engine, Mention)}
    multilingual = f"huggingface:{tiny_model_dir.name}"
    for lang in ("de", "fr"):
        score, mention = scores[mentions[lang]], by_id[mentions[lang]]
        assert (score.model, score.language, score.label) == (multilingual, lang, "negative")
        assert mention.language == lang and mention.sentiment == "negative" and mention.status == "open"
        assert any(r.startswith(f"negative ({multilingual}, P(negative)") for r in mention.flag_reasons)
        assert not any("language not supported" in r for r in mention.flag_reasons)
    english = scores[mentions["en"]]
    assert (english.model, english.language, english.label) == ("builtin", "en", "negative")


def test_without_a_multilingual_model_other_languages_are_flagged_for_a_person(engine, mentions, monkeypatch):
    counts = score_job(monkeypatch)

    assert counts["taken"] == 3 and counts["scored"] == 1 and counts["unsupported_language"] == 2
    assert {s.mention_id for s in _rows(engine, Score)} == {mentions["en"]}, (
        "never mis-scored by the English model"
    )
    by_id = {m.id: m for m in _rows(engine, Mention)}
    for lang in ("de", "fr"):
        mention = by_id[mentions[lang]]
        assert mention.status == "open" and mention.flagged_at is not None, "on the queue for a person"
        assert mention.language == lang and mention.sentiment is None
        assert f"language not supported ({lang}): a person should read it" in mention.flag_reasons
    flagged = {a.mention_id for a in _rows(engine, Activity) if a.action == "flagged"}
    assert {mentions["de"], mentions["fr"], mentions["en"]} <= flagged
    assert by_id[mentions["en"]].sentiment == "negative"
