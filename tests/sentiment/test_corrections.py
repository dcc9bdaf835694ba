"""Agents' relabels, saved by the item page's action, are read back from the database as training rows."""

from sqlalchemy import update

from bounceback.tables import Mention
from bounceback.types import utcnow
from dashboard.queries import actions
from sentiment.corrections import HELDOUT_ONE_IN, is_held_out, read_corrections
from tests.factories import make_mention


def test_corrections_are_read_from_the_database(engine):
    texts = {
        "late": "The courier left my parcel in the rain and everything inside is ruined",
        "hours": "Can you tell me when the store opens on Sunday?",
        "band": "Acme the band announced a new tour for next spring",
        "mixed": "Nice phone, the battery is fine I suppose",
        "german": "Meine Bestellung ist seit drei Wochen nicht angekommen und niemand antwortet mir",
        "erased": "I will tell everyone how rude your driver was to my mother",
    }
    ids = {key: make_mention(engine, text=text).id for key, text in texts.items()}
    copy = make_mention(engine, text=texts["hours"]).id  # the same post seen via another source
    empty = make_mention(engine, text="  ", title=None).id

    def relabel(mention_id, label):
        result = actions.relabel_item(mention_id, "alice", label, engine=engine)
        assert result.ok
        return result.message

    assert "`bounceback model retrain` will use it" in relabel(ids["late"], "positive")
    relabel(ids["late"], "negative")  # the newest correction of a mention counts
    relabel(ids["hours"], "neutral")
    relabel(copy, "positive")  # same text, newer: this label is kept
    assert "retraining skips it" in relabel(ids["band"], "not_about_us")
    assert "choose Neutral or Positive" in relabel(ids["mixed"], "not_negative")
    relabel(ids["german"], "negative")
    relabel(ids["erased"], "negative")
    relabel(empty, "neutral")
    with engine.begin() as conn:
        conn.execute(
            update(Mention.__table__)
            .where(Mention.__table__.c.id == ids["erased"])
            .values(purged_at=utcnow())
        )

    found = read_corrections(engine)
    assert found.read == 9
    rows = sorted((e.text, e.label, e.source) for e in [*found.train, *found.held_out])
    assert rows == sorted(
        [(texts["late"], "negative", "correction"), (texts["hours"], "positive", "correction")]
    )
    assert all(is_held_out(e.text) for e in found.held_out) and not any(
        is_held_out(e.text) for e in found.train
    )
    assert found.skipped == {
        "superseded by a newer correction of the same mention": 1,
        "“not about us” is about relevance, not tone": 1,
        "“not negative” names no label (neutral or positive?)": 1,
        "not English (the builtin model reads English)": 1,
        "text erased by retention": 1,
        "no text to learn from": 1,
        "same text as another corrected mention (newest kept)": 1,
    }
    assert (
        read_corrections(engine, exclude_texts=frozenset({texts["late"]})).skipped[
            "the same text is in a check file"
        ]
        == 1
    )


def test_about_one_text_in_five_is_held_out():
    held = sum(is_held_out(f"complaint number {i} about a late order") for i in range(1000))
    assert 1000 / HELDOUT_ONE_IN * 0.75 < held < 1000 / HELDOUT_ONE_IN * 1.25
