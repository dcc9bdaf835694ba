"""The scoring job on SQLite and PostgreSQL: scores, flags with reasons, parking, incidents, re-scoring."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bounceback.lifecycle import history
from bounceback.tables import Activity, EngagementSnapshot, Incident, Mention, Score, Watch
from bounceback.types import utcnow
from sentiment.scoring import Scorer, rescore_since, score_batch, score_pending, take_batch
from sentiment.vader import VaderClassifier
from tests.factories import make_author, make_mention, make_source


def _new(engine, text_, **kw):
    return make_mention(engine, status="new", text=text_, **kw)


def _get(engine, model, **where):
    from bounceback.db import session

    with session(engine, readonly=True) as sess:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return list(sess.execute(query).scalars())


def test_batch_scores_flags_and_parks_each_mention_with_its_reason(engine, scorer):
    source = make_source(engine)
    angry = _new(engine, "You charged me twice and support ignores me. I want a refund now!", source=source)
    happy = _new(engine, "Thank you so much, the delivery came early and it was perfect!", source=source)
    empty = _new(engine, "   ", source=source)
    emoji = _new(engine, "😡😡😡", source=source)
    huge = _new(engine, "The package arrived damaged and nobody answers. " * 22_000, source=source)
    german = _new(engine, "Der Kundenservice ist eine Katastrophe, ich will mein Geld zurück!", source=source)
    garbled = _new(engine, "\ufffd\ufffd \ufffd", source=source)

    counts = score_pending(scorer, batch_size=4, engine=engine)

    assert counts["taken"] == 7 and counts["parked"] == 2 and counts["unsupported_language"] == 1
    by_id = {m.id: m for m in _get(engine, Mention)}
    assert by_id[angry.id].status == "open" and by_id[angry.id].sentiment == "negative"
    assert by_id[angry.id].severity == "high"
    assert any(r.startswith("negative (builtin, P(negative)") for r in by_id[angry.id].flag_reasons)
    assert any(r.startswith("high: refund or money") for r in by_id[angry.id].flag_reasons)
    assert by_id[happy.id].status == "scored" and by_id[happy.id].sentiment == "positive"
    assert by_id[empty.id].status == "parked"
    assert by_id[empty.id].parked_reason == "empty text: nothing to score"
    assert by_id[garbled.id].parked_reason == "text is only undecodable characters"
    assert "emoji-only text read by the emoji names" in by_id[emoji.id].flag_reasons
    assert by_id[emoji.id].sentiment is not None
    assert by_id[huge.id].sentiment == "negative"
    assert any("cut to its first" in r for r in by_id[huge.id].flag_reasons)
    assert by_id[german.id].status == "open" and by_id[german.id].language == "de"
    assert "language not supported (de): a person should read it" in by_id[german.id].flag_reasons
    scores = {s.mention_id: s for s in _get(engine, Score)}
    assert set(scores) == {angry.id, happy.id, emoji.id, huge.id}
    assert scores[angry.id].model == "builtin" and scores[angry.id].revision == scorer.classifier.revision
    assert abs(sum(scores[angry.id].probabilities.values()) - 1) < 1e-3
    assert [a.action for a in history(angry.id, engine=engine)] == ["scored", "flagged"]


def test_one_failing_text_is_parked_and_the_rest_of_the_batch_is_scored(engine):
    class FailsOnPoison(VaderClassifier):
        def classify(self, texts):
            if any("POISON" in t for t in texts):
                raise ValueError("cannot read this one")
            return super().classify(texts)

    bad = _new(engine, "POISON pill text")
    good = _new(engine, "I hate how slow this is")
    counts = score_pending(Scorer(FailsOnPoison(), threshold=0.3), engine=engine)
    by_id = {m.id: m for m in _get(engine, Mention)}
    assert counts["parked"] == 1 and counts["scored"] == 1
    assert by_id[bad.id].parked_reason == "classifier failed: ValueError: cannot read this one"
    assert by_id[good.id].status == "open"


def test_complaint_after_a_resolved_one_reopens_the_story(engine, scorer):
    author = make_author(engine, "repeat_customer")
    earlier = make_mention(
        engine, author_id=author.id, status="resolved", resolved_at=utcnow(), text="my router broke"
    )
    again = _new(engine, "My router is broken again, this is unacceptable.", author_id=author.id)
    score_pending(scorer, engine=engine)
    mention = _get(engine, Mention, id=again.id)[0]
    assert mention.status == "reopened" and mention.related_mention_id == earlier.id
    assert mention.severity == "high"
    reason = f"second failure: mention {earlier.id} from this author was resolved before"
    assert reason in mention.flag_reasons
    notes = [a for a in _get(engine, Activity, mention_id=earlier.id) if a.action == "note"]
    assert notes and notes[0].note == f"second failure: new complaint {again.id} from the same customer"


def test_similar_complaints_in_a_burst_become_one_incident(engine, scorer):
    crashes = [
        "The app crashes every time I try to pay for my order. Useless.",
        "Your app keeps crashing at checkout when I pay, so annoying",
        "App crashed again while paying for my order, I give up",
    ]
    ids = [_new(engine, t).id for t in crashes]
    other = _new(engine, "The delivery driver was rude and threw my parcel over the fence, awful")
    score_pending(scorer, engine=engine)
    incidents = _get(engine, Incident)
    assert len(incidents) == 1 and incidents[0].mention_count == 3
    assert "app" in incidents[0].keywords and incidents[0].title.endswith("(3 complaints)")
    by_id = {m.id: m for m in _get(engine, Mention)}
    assert {by_id[i].incident_id for i in ids} == {incidents[0].id}
    assert by_id[other.id].incident_id is None
    late = _new(engine, "the app crashes when I try to pay, again!!")
    score_pending(scorer, engine=engine)
    assert _get(engine, Mention, id=late.id)[0].incident_id == incidents[0].id
    assert _get(engine, Incident)[0].mention_count == 4


def test_excluded_watch_term_is_not_flagged_and_says_why(engine, scorer):
    from bounceback.watches import add_watch

    watch = add_watch("apple-brand", ["Apple"], ["apple pie"], engine=engine)
    pie = _new(engine, "This apple pie recipe was disgusting, awful taste", watch_id=watch.id)
    phone = _new(engine, "My Apple phone died after two days, terrible", watch_id=watch.id)
    score_pending(scorer, engine=engine)
    by_id = {m.id: m for m in _get(engine, Mention)}
    assert by_id[pie.id].status == "scored"
    assert by_id[pie.id].match_reason == "excluded by 'apple pie' (watch apple-brand)"
    assert by_id[phone.id].status == "open" and by_id[phone.id].match_reason.startswith("matched 'Apple'")
    assert _get(engine, Watch)[0].id == watch.id


def test_engagement_snapshots_give_a_viral_score(engine, scorer):
    from bounceback.db import session

    now = utcnow()
    mention = _new(
        engine,
        "This airline lost my luggage and nobody cares. Disgraceful.",
        published_at=now - timedelta(hours=1),
    )
    with session(engine) as sess:
        for minutes, likes, reposts in ((50, 5, 0), (30, 20, 2), (0, 900, 300)):
            sess.add(
                EngagementSnapshot(
                    mention_id=mention.id,
                    taken_at=now - timedelta(minutes=minutes),
                    likes=likes,
                    reposts=reposts,
                    followers=80_000,
                )
            )
    score_pending(scorer, engine=engine)
    stored = _get(engine, Mention, id=mention.id)[0]
    assert stored.accelerating and stored.viral_score > 0.8 and stored.reach == 80_000
    assert any(r.startswith("accelerating") for r in stored.flag_reasons)


def test_row_taken_by_another_scorer_is_not_scored_twice(engine, vader_scorer):
    from bounceback.lifecycle import claim
    from sentiment.context import load_context

    first = _new(engine, "I hate this")
    second = _new(engine, "I hate this too")
    with engine.begin() as conn:
        rows = take_batch(conn, 10, lock=False)
        outcomes = vader_scorer.decide(rows, load_context(conn, rows, utcnow()))
    claim(first.id, "agent-ann", engine=engine)  # an agent took it while this scorer was busy
    with engine.begin() as conn:
        counts = vader_scorer.write(conn, outcomes)
    assert counts["skipped"] == 1 and counts["scored"] == 1
    assert [s.mention_id for s in _get(engine, Score)] == [second.id]
    assert _get(engine, Mention, id=first.id)[0].status == "claimed"


def test_postgres_scorers_skip_rows_locked_by_another_worker(engine, vader_scorer):
    if engine.dialect.name != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite serialises writers instead")
    ids = [_new(engine, f"terrible service number {i}").id for i in range(4)]
    with engine.connect() as other:
        other.execute(
            text("SELECT id FROM mention WHERE id IN (:a, :b) FOR UPDATE"), {"a": ids[0], "b": ids[1]}
        )
        counts = score_batch(vader_scorer, 10, engine)
        assert counts is not None and counts["taken"] == 2
        assert {s.mention_id for s in _get(engine, Score)} == set(ids[2:])
        other.rollback()
    assert score_batch(vader_scorer, 10, engine)["taken"] == 2
    assert score_batch(vader_scorer, 10, engine) is None


def test_rescore_adds_new_scores_and_keeps_the_old_ones(engine, scorer, vader_scorer):
    mention = _new(engine, "I waited an hour on hold and then they hung up on me.")
    held = _new(engine, "Lovely staff, great service")
    score_pending(vader_scorer, engine=engine)
    from bounceback.lifecycle import claim

    claim(held.id, "agent-bob", engine=engine)
    counts = rescore_since(scorer, utcnow() - timedelta(hours=1), engine=engine)
    assert counts["taken"] == 2
    models = sorted((s.mention_id, s.model) for s in _get(engine, Score))
    assert models == sorted(
        [(mention.id, "vader"), (mention.id, "builtin"), (held.id, "vader"), (held.id, "builtin")]
    )
    assert _get(engine, Mention, id=held.id)[0].status == "claimed"
    assert _get(engine, Mention, id=mention.id)[0].sentiment == "negative"


def test_star_rating_without_words_is_triaged_on_the_rating_not_parked(engine, scorer):
    source = make_source(engine)
    one_star = _new(engine, "", source=source, rating=1.0)
    five_star = _new(engine, "", source=source, rating=5.0)

    counts = score_pending(scorer, batch_size=10, engine=engine)

    assert counts["rating_only"] == 2 and counts["parked"] == 0
    by_id = {m.id: m for m in _get(engine, Mention)}
    assert by_id[one_star.id].status == "open"
    assert any(r.startswith("rating 1 of 5") for r in by_id[one_star.id].flag_reasons)
    assert "no text: judged by the star rating alone" in by_id[one_star.id].flag_reasons
    assert by_id[five_star.id].status == "scored" and by_id[five_star.id].parked_reason is None
    assert _get(engine, Score) == []  # no model verdict was made up for a text that is not there
