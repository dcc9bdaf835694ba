"""Retention purge and `bounceback forget`: no trace of the text or the person in any table."""

import json
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import JSON, String, func, insert, select, update

from bounceback.retention import purge_expired
from bounceback.tables import (
    Activity,
    Alert,
    Author,
    Correction,
    EngagementSnapshot,
    Incident,
    Mention,
    Score,
    metadata,
)
from bounceback.types import utcnow
from tests.factories import make_author, make_mention, make_source
from tests.service.helpers import REPO


def traces(engine, *needles):
    """Every (table, column, value) whose text or JSON contains one of ``needles`` (case-insensitive)."""
    found = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if issubclass(c.type._type_affinity, String | JSON)]
            if not columns:
                continue
            for row in conn.execute(select(*columns)).all():
                for column, value in zip(columns, row, strict=True):
                    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
                    if any(n.lower() in (text or "").lower() for n in needles):
                        found.append((table.name, column.name, value))
    return found


def seed_person(engine, source, handle, name, secret, *, fetched_days_ago=0):
    """One author with a mention and everything that can hold their text or name."""
    author = make_author(
        engine, handle=handle, display_name=name, url=f"https://reddit.example/u/{handle}", followers=4321
    )
    when = utcnow() - timedelta(days=fetched_days_ago)
    mention = make_mention(
        engine,
        source,
        author_id=author.id,
        text=f"{secret} refund never arrived",
        title=f"{secret} in the title",
        url=f"https://reddit.example/r/x/{handle}",
        match_reason=f"matched Acme in '{secret}'",
        content_hash="ab" * 32,
        raw_ref=f"raw/{handle}.json",
        sentiment="negative",
        severity="high",
        engagement={"likes": 3, "quote": secret},
        fetched_at=when,
    )
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(Activity.__table__).values(
                mention_id=mention.id,
                action="note",
                actor="agent1",
                created_at=now,
                note=f"called {name} about {secret}",
                details={"previous_text": f"{secret} v1", "outcome": "fixed"},
            )
        )
        conn.execute(
            insert(Alert.__table__).values(
                dedup_key=f"m:{mention.id}",
                mention_id=mention.id,
                status="sent",
                attempts=1,
                next_attempt_at=now,
                created_at=now - timedelta(days=fetched_days_ago),
                kind="mention",
                payload={"excerpt": secret, "author": handle, "reach": 4321},
            )
        )
        conn.execute(
            insert(Correction.__table__).values(
                mention_id=mention.id,
                label="not_negative",
                by="agent1",
                note=f"{secret} is sarcasm",
                created_at=now,
            )
        )
        conn.execute(
            insert(EngagementSnapshot.__table__).values(
                mention_id=mention.id, taken_at=now, likes=3, replies=1, reposts=0, score=5, followers=4321
            )
        )
        conn.execute(
            insert(Score.__table__).values(
                mention_id=mention.id,
                model="builtin",
                revision="1",
                label="negative",
                confidence=0.9,
                probabilities={"negative": 0.9},
                created_at=now,
            )
        )
    return author, mention


def test_forget_erases_one_person_everywhere_and_keeps_the_counts(engine):
    source = make_source(engine)
    alice, her_mention = seed_person(engine, source, "quokka_fan", "Zelda Quokkaberg", "ZEBRAFINCH")
    carol, other = seed_person(engine, source, "carol_c", "Carol Other", "KINGFISHER")
    reply = make_mention(
        engine, source, author_id=carol.id, text="@quokka_fan is right, Zelda Quokkaberg too"
    )
    with engine.begin() as conn:
        conn.execute(
            insert(Incident.__table__).values(
                title="refund quokka_fan",
                mention_count=2,
                opened_at=utcnow(),
                last_seen_at=utcnow(),
                centroid=[],
                keywords=["refund", "quokka_fan"],
                source_ids=[source.id],
            )
        )
    assert traces(engine, "ZEBRAFINCH", "quokka_fan", "Quokkaberg")

    result = subprocess.run(
        [sys.executable, "-m", "bounceback.cli", "forget", "reddit:quokka_fan", "--yes", "--by", "dpo"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    assert "1 mentions blanked" in result.stdout

    assert not traces(engine, "ZEBRAFINCH", "quokka_fan", "Quokkaberg")
    with engine.connect() as conn:
        mention = conn.execute(
            select(Mention.__table__).where(Mention.__table__.c.id == her_mention.id)
        ).one()
        author = conn.execute(select(Author.__table__).where(Author.__table__.c.id == alice.id)).one()
        kept = conn.execute(
            select(Mention.__table__.c.text).where(Mention.__table__.c.id == other.id)
        ).scalar()
        replied = conn.execute(
            select(Mention.__table__.c.text).where(Mention.__table__.c.id == reply.id)
        ).scalar()
        snapshot = conn.execute(
            select(EngagementSnapshot.__table__.c.followers).where(
                EngagementSnapshot.__table__.c.mention_id == her_mention.id
            )
        ).scalar()
        erased_log = conn.execute(
            select(func.count()).where(
                Activity.__table__.c.action == "erased", Activity.__table__.c.actor == "dpo"
            )
        ).scalar()
    assert mention.text == "" and mention.purged_at is not None
    assert (mention.sentiment, mention.severity, mention.status) == ("negative", "high", "open")
    assert author.erased and author.followers is None and author.display_name is None
    assert snapshot is None and erased_log == 1
    assert kept.startswith("KINGFISHER")  # someone else's words stay
    assert replied == "[erased] is right, [erased] too"


def test_retention_purges_old_text_and_authors_but_keeps_rows_for_trends(engine):
    source = make_source(engine)
    seed_person(engine, source, "old_timer", "Olga Oldham", "MARMOSET", fetched_days_ago=400)
    seed_person(engine, source, "newbie", "Nia Newton", "PANGOLIN", fetched_days_ago=3)
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(Mention.__table__)).scalar()

    counts = purge_expired(365, engine=engine)
    assert counts["mentions"] == 1 and counts["authors"] == 1

    assert not traces(engine, "MARMOSET", "old_timer", "Oldham")
    assert traces(engine, "PANGOLIN") and traces(engine, "newbie")
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(Mention.__table__)).scalar()
        negatives = conn.execute(
            select(func.count()).where(Mention.__table__.c.sentiment == "negative")
        ).scalar()
    assert after == before and negatives == 2  # trend counts unchanged
    assert purge_expired(365, engine=engine)["mentions"] == 0


def test_an_author_with_recent_mentions_keeps_the_handle_while_old_text_goes(engine):
    source = make_source(engine)
    author, _ = seed_person(engine, source, "regular", "Rae Gular", "OCELOT", fetched_days_ago=500)
    make_mention(engine, source, author_id=author.id, text="still here", fetched_at=utcnow())
    purge_expired(365, engine=engine)
    assert not traces(engine, "OCELOT")
    assert traces(engine, "regular")  # the person is still active: their current mention keeps its author
    with engine.begin() as conn:
        conn.execute(update(Mention.__table__).values(fetched_at=utcnow() - timedelta(days=900)))
    purge_expired(365, engine=engine)
    assert not traces(engine, "regular", "Rae Gular", "still here")


def test_forget_refuses_an_unknown_or_malformed_author(engine):
    for ref, message in [("reddit:nobody", "no author 'reddit:nobody'"), ("nobody", "PLATFORM:HANDLE")]:
        result = subprocess.run(
            [sys.executable, "-m", "bounceback.cli", "forget", ref, "--yes"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env=dict(os.environ),
        )
        assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_job_runs_are_kept_two_weeks_and_crawl_runs_for_the_retention_period(engine):
    from bounceback.tables import CrawlRun, JobRun

    source = make_source(engine)
    old = utcnow() - timedelta(days=20)
    with engine.begin() as conn:
        conn.execute(insert(JobRun.__table__).values(job="score", status="ok", started_at=old, counts={}))
        conn.execute(
            insert(JobRun.__table__).values(job="score", status="ok", started_at=utcnow(), counts={})
        )
        conn.execute(
            insert(CrawlRun.__table__).values(source_id=source.id, status="ok", started_at=old, errors=[])
        )
    assert purge_expired(365, engine=engine)["runs_deleted"] == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(JobRun.__table__)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(CrawlRun.__table__)).scalar() == 1
