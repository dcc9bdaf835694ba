"""The score job's re-triage pass on stored rows: the model is not run, claims and closed items keep
their state, and a mark renewed while a pass judged the row is not lost (both databases)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select, update

from bounceback.tables import EngagementSnapshot, Mention, Score
from bounceback.types import utcnow
from sentiment.context import load_context
from sentiment.retriage import latest_scores, rejudge, retriage_pending, take_marked, write
from sentiment.scoring import Scorer
from tests.factories import make_mention, make_source

M = Mention.__table__  # type: ignore[attr-defined]
TEXT = "My order arrived cold and late again. Terrible, awful service."


class NoModel:
    """A classifier that must not be asked: re-triage reuses the stored score."""

    name, revision = "stored-model", "r1"

    def classify(self, texts):
        raise AssertionError("re-triage ran the sentiment model")


def _spreading(engine, status: str = "open", score: bool = True, **kw) -> int:
    """A negative complaint published 30 min ago, scored once (unless ``score`` is false: no model read
    it), whose likes went 2 → 40 → 400: marked."""
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
        snaps = [(-20, 2), (-10, 40), (-5, 400)]
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
        counts = write(conn, judged, utcnow())

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
