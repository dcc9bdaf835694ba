"""Re-judged while spreading, end to end: a Mastodon-shaped server whose answer grows between crawls,
the real crawl pipeline, the score job and the alert evaluation, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alerts.channels import add_channel
from alerts.outbox import evaluate
from alerts.sql import AL
from bounceback import lifecycle
from bounceback.tables import Activity
from sentiment.scoring import Scorer, score_pending
from sentiment.vader import VaderClassifier
from tests.alerts.conftest import make_settings
from tests.crawlers.conftest import FIXTURES, Reply, add_source, mentions_by_id, run_crawl

GROWING, OLD, CLOSED = "900000000000000001", "900000000000000002", "900000000000000003"
TEXT = "Northwind Coffee: my order arrived cold and late again. Terrible, awful service."


def _status(capture: dict, sid: str, age: timedelta, favourites: int, text: str) -> dict:
    """A status of the public timeline capture with its id, age, favourites and text replaced."""
    created = datetime.now(UTC) - age
    account = {**capture["account"], "id": "2" + sid[1:], "username": f"u{sid[-1]}", "acct": f"u{sid[-1]}"}
    return {
        **capture,
        "id": sid,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "uri": f"http://localhost:3000/ap/users/{account['id']}/statuses/{sid}",
        "url": f"http://localhost:3000/@{account['acct']}/{sid}",
        "content": f"<p>{text}</p>",
        "language": "en",
        "favourites_count": favourites,
        "account": account,
    }


def test_a_growing_complaint_is_rejudged_by_the_score_job_and_alerted_by_the_viral_rule(
    engine, fixture_server
):
    capture = json.loads((FIXTURES / "mastodon/public_timeline.json").read_bytes())[0]
    favourites = {"now": 2}
    old_text = "Northwind Coffee lost my order last week. Awful, terrible."
    closed_text = "Northwind Coffee never answered my email. Awful, terrible."

    def answer() -> bytes:
        likes = favourites["now"]
        statuses = [
            _status(capture, GROWING, timedelta(minutes=30), likes, TEXT),
            _status(capture, OLD, timedelta(days=3), likes, old_text),
            _status(capture, CLOSED, timedelta(minutes=40), likes, closed_text),
        ]
        return json.dumps({"accounts": [], "statuses": statuses, "hashtags": []}).encode()

    fixture_server.route("/api/v2/search", Reply(body=answer))
    source_id = add_source(
        engine, "mastodon", instance="mastodon.example", query="Northwind", base_url=fixture_server.url
    )
    settings = make_settings()
    add_channel("hook", "webhook", {"url": "http://127.0.0.1:9/hook"}, test=False, engine=engine)
    scorer = Scorer(VaderClassifier(), threshold=0.3)

    def crawl_score_evaluate(likes: int) -> tuple[dict, dict, dict]:
        favourites["now"] = likes
        crawled = run_crawl(source_id)
        assert crawled.returncode == 0, crawled.stderr[-2000:]
        marked = {k: m.retriage_at is not None for k, m in mentions_by_id(engine, source_id).items()}
        return marked, score_pending(scorer, engine=engine), evaluate(engine, settings)

    _, scored, raised = crawl_score_evaluate(2)
    first = mentions_by_id(engine, source_id)
    assert scored["taken"] == 3 and first[GROWING].status == "open" and first[GROWING].severity == "medium"
    assert not first[GROWING].accelerating and raised["alerts"] == 0, "medium and not spreading: no rule"
    closed = first[CLOSED]
    lifecycle.resolve(closed.id, "agent", "apologised", version=closed.version, engine=engine)

    marked, scored, raised = crawl_score_evaluate(40)
    assert marked == {GROWING: True, OLD: False, CLOSED: True}, "young and triaged only"
    assert scored["retriaged"] == 2 and scored["taken"] == 0, "the model is not run again"
    grown = mentions_by_id(engine, source_id)
    spreading = grown[GROWING]
    assert spreading.accelerating and spreading.viral_score > first[GROWING].viral_score + 0.1
    assert spreading.severity == "high" and spreading.status == "open"
    assert spreading.priority > first[GROWING].priority and spreading.flagged_at == first[GROWING].flagged_at
    assert all(m.retriage_at is None for m in grown.values()), "marks cleared"
    assert grown[CLOSED].status == "resolved" and grown[CLOSED].resolved_at is not None, "not reopened"
    assert grown[OLD].viral_score == first[OLD].viral_score and not grown[OLD].accelerating
    assert raised["alerts"] == 1
    with engine.connect() as conn:
        alerts = conn.execute(select(AL).where(AL.c.kind == "mention")).all()
        log = conn.execute(
            select(Activity).where(Activity.mention_id == spreading.id, Activity.action == "retriaged")
        ).all()
    assert [(a.mention_id, a.payload["accelerating"]) for a in alerts] == [(spreading.id, True)]
    assert len(log) == 1 and "accelerating" in log[0].note and "severity medium → high" in log[0].note
    assert log[0].note.startswith(f"viral score {first[GROWING].viral_score:.2f} → ")

    _, scored, raised = crawl_score_evaluate(6000)
    latest = mentions_by_id(engine, source_id)[GROWING]
    assert scored["retriaged"] == 2 and latest.viral_score > spreading.viral_score
    assert raised["alerts"] == 0, "nothing the channel was not told already"
