"""A duplicate (another source's copy of a stored post) is never scored, flagged or queued."""

from datetime import timedelta

from sqlalchemy import select

from bounceback.tables import Mention, Score
from bounceback.types import utcnow
from sentiment.scoring import rescore_since, score_pending
from tests.factories import make_mention, make_source

M = Mention.__table__  # type: ignore[attr-defined]
ANGRY = "This is the worst service ever, I want a refund, absolutely terrible and useless"


def test_score_job_and_rescore_leave_duplicates_untouched_and_triage_the_original(engine, vader_scorer):
    search, listing = make_source(engine, "reddit"), make_source(engine, "reddit")
    original = make_mention(engine, search, status="new", text=ANGRY, language="en")
    copy = make_mention(
        engine, listing, status="duplicate", text=ANGRY, language="en", duplicate_of_id=original.id
    )

    scored = score_pending(vader_scorer, engine=engine)
    rescored = rescore_since(vader_scorer, utcnow() - timedelta(hours=1), engine=engine)

    assert scored["taken"] == 1 and rescored["taken"] == 1
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(M)).all()}
        scored_ids = set(conn.execute(select(Score.__table__.c.mention_id)).scalars())  # type: ignore[attr-defined]
    assert rows[original.id].status == "open" and rows[original.id].flagged_at is not None
    kept = rows[copy.id]
    assert (kept.status, kept.scored_at, kept.flagged_at, kept.sentiment, kept.severity) == (
        "duplicate",
        None,
        None,
        None,
        None,
    )
    assert scored_ids == {original.id}
