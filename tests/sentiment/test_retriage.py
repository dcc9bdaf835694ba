"""The score job's re-triage pass on stored rows: the model is not run, claims and closed items keep
their state, a mark renewed while a pass judged the row is not lost, a newly flagged complaint joins its
incident, and only changes that matter to a person are logged (both databases)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select, update

from bounceback.tables import Activity, EngagementSnapshot, Incident, Mention, Score
from bounceback.types import utcnow
from sentiment.context import load_context
from sentiment.embeddings import embed
from sentiment.retriage import latest_scores, rejudge, retriage_pending, take_marked, write
from sentiment.scoring import Scorer, score_pending
from tests.factories import make_mention, make_source

M = Mention.__table__  # type: ignore[attr-defined]
TEXT = "My order arrived cold and late again. Terrible, awful service."


class NoModel:
    """A classifier that must not be asked: re-triage reuses the stored score."""

    name, revision = "stored-model", "r1"

    def classify(self, texts):
        raise AssertionError("re-triage ran the sentiment model")


def _spreading(engine, status: str = "open", score: bool = True, likes=(2, 40, 400), **kw) -> int:
    """A negative complaint published 30 min ago, scored once (unless ``score`` is false: no model read
    it), whose likes went 2 → 40 → 400 (``likes``, 20, 10 and 5 min ago): marked."""
    now = utcnow()
    mention = make_mention(
        engine,
        make_source(engine, "mastodon"),
        status=status,
        text=kw.pop("text", TEXT),
        published_at=now - timedelta(minutes=30),
        severity="medium",
        sentiment="negative",
        viral_score=0.05,
        flagged_at=now - timedelta(minutes=20) if status != "scored" else None,
        retriage_at=now,
        **kw,
    )
    probabilities = {"negative": 0.9, "neutral": 0.07, "positive": 0.03}
    with engine.begin() as conn:
        if score:
            conn.execute(
                insert(Score.__table__).values(  # type: ignore[attr-defined]
                    mention_id=mention.id,
                    model="stored-model",
                    revision="r1",
                    label="negative",
                    confidence=0.9,
                    probabilities=probabilities,
                    created_at=now - timedelta(minutes=20),
                )
            )
        snaps = zip((-20, -10, -5), likes, strict=True)
        conn.execute(
            insert(EngagementSnapshot.__table__),  # type: ignore[attr-defined]
            [
                {"mention_id": mention.id, "taken_at": now + timedelta(minutes=m), "likes": n}
                for m, n in snaps
            ],
        )
    assert mention.id is not None
    return mention.id


def _row(engine, mention_id: int):
    with engine.connect() as conn:
        return conn.execute(select(M).where(M.c.id == mention_id)).one()


def test_a_claimed_complaint_keeps_its_claim_and_gets_its_new_severity_without_the_model(engine):
    claimed = _spreading(engine, status="claimed", claimed_by="ann")
    resolved = _spreading(engine, status="resolved")
    scored = _spreading(engine, status="scored")

    counts = retriage_pending(Scorer(NoModel(), threshold=0.6), engine=engine)

    assert counts["retriaged"] == 3
    after = _row(engine, claimed)
    assert (after.status, after.claimed_by, after.severity) == ("claimed", "ann", "high")
    assert after.accelerating and after.viral_score > 0.7 and after.retriage_at is None
    closed = _row(engine, resolved)
    assert (closed.status, closed.severity) == ("resolved", "medium"), "never reopened"
    assert closed.accelerating, "a closed item keeps its state; its spread figures are current"
    now_flagged = _row(engine, scored)
    assert now_flagged.status == "open" and now_flagged.flagged_at is not None, "flagged when re-judged"


def test_a_mark_renewed_by_a_crawl_while_the_pass_judged_the_row_is_kept_for_the_next_pass(engine):
    mention_id = _spreading(engine)
    scorer = Scorer(NoModel(), threshold=0.6)
    with engine.connect() as conn:
        rows = take_marked(conn, 10, lock=False)
        judged = rejudge(scorer, rows, load_context(conn, rows, utcnow()), latest_scores(conn, [mention_id]))
    renewed = utcnow() + timedelta(seconds=1)
    with engine.begin() as conn:  # a crawl stores another snapshot meanwhile
        conn.execute(update(M).where(M.c.id == mention_id).values(retriage_at=renewed))
    with engine.begin() as conn:
        counts = write(scorer, conn, judged, utcnow())

    assert counts["retriage_skipped"] == 1 and counts["retriaged"] == 0
    assert _row(engine, mention_id).retriage_at == renewed and not _row(engine, mention_id).accelerating
    assert retriage_pending(scorer, engine=engine)["retriaged"] == 1
    assert _row(engine, mention_id).retriage_at is None and _row(engine, mention_id).accelerating


def test_a_complaint_no_model_reads_is_rejudged_on_its_spread_and_stays_queued(engine):
    german = _spreading(engine, score=False, language="de", text="Northwind hat meine Bestellung verloren.")
    counts = retriage_pending(Scorer(NoModel(), threshold=0.6), engine=engine)
    assert counts["retriaged"] == 1
    after = _row(engine, german)
    assert after.status == "open" and after.accelerating and after.retriage_at is None


def _activity(engine, mention_id: int, action: str = "retriaged") -> list:
    with engine.connect() as conn:
        query = select(Activity.__table__).where(  # type: ignore[attr-defined]
            Activity.mention_id == mention_id, Activity.action == action
        )
        return list(conn.execute(query).all())


def _mark(engine, mention_id: int, likes: int | None = None) -> None:
    """A crawl stores ``likes`` now (when given) and marks the mention."""
    now = utcnow()
    with engine.begin() as conn:
        if likes is not None:
            conn.execute(
                insert(EngagementSnapshot.__table__).values(  # type: ignore[attr-defined]
                    mention_id=mention_id, taken_at=now, likes=likes
                )
            )
        conn.execute(update(M).where(M.c.id == mention_id).values(retriage_at=now))


def test_a_complaint_flagged_only_when_rejudged_joins_the_incident_of_its_like(engine, scorer):
    crashes = [
        "The app crashes every time I try to pay for my order. Useless.",
        "Your app keeps crashing at checkout when I pay, so annoying",
        "App crashed again while paying for my order, I give up",
    ]
    for text in crashes:
        make_mention(engine, status="new", text=text)
    score_pending(scorer, engine=engine)
    [incident] = _get_incidents(engine)
    late = _spreading(engine, status="scored", text="the app crashes when I try to pay, again!!")

    counts = retriage_pending(Scorer(NoModel(), threshold=0.6, embedder=embed), engine=engine)

    after = _row(engine, late)
    assert after.status == "open" and after.incident_id == incident.id
    assert _get_incidents(engine)[0].mention_count == 4
    assert counts["retriage_flagged"] == 1 and counts["retriage_incident_members"] == 1


def _get_incidents(engine) -> list:
    with engine.connect() as conn:
        return list(conn.execute(select(Incident.__table__)).all())  # type: ignore[attr-defined]


def test_acceleration_ending_adds_no_activity_line_and_a_severity_rise_or_a_fall_in_spread_does(engine):
    scorer = Scorer(NoModel(), threshold=0.6)
    ending = _spreading(engine)
    retriage_pending(scorer, engine=engine)
    first = _row(engine, ending)
    assert first.accelerating and first.severity == "high" and len(_activity(engine, ending)) == 1
    _mark(engine, ending, likes=405)  # 5 more likes: the growth has stopped
    rising = _spreading(engine)  # medium, now spreading fast: high
    falling = _spreading(engine, likes=(2, 3, 4))  # stored as viral and accelerating, read again: neither
    with engine.begin() as conn:
        conn.execute(update(M).where(M.c.id == falling).values(viral_score=0.9, accelerating=True))

    counts = retriage_pending(scorer, engine=engine)

    assert counts["retriaged"] == 3 and counts["retriage_changed"] == 2
    ended = _row(engine, ending)
    assert not ended.accelerating and ended.retriage_at is None, "the row has the new figures"
    assert abs(ended.viral_score - first.viral_score) < 0.2
    assert len(_activity(engine, ending)) == 1 and ended.retriaged_at == first.retriaged_at, "no line"
    [line] = _activity(engine, rising)
    assert "severity medium → high" in line.note
    [fall] = _activity(engine, falling)
    assert fall.note.startswith("viral score 0.90 → ") and "no longer accelerating" in fall.note
