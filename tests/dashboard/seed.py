"""A small, realistic data set for the dashboard tests (and the browser tests' server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from bounceback.db import session
from bounceback.passwords import hash_password
from bounceback.tables import (
    Author,
    CrawlRun,
    EngagementSnapshot,
    Incident,
    Mention,
    Score,
    Source,
    User,
    Watch,
)
from bounceback.types import utcnow

PASSWORD = "correct horse battery"
ROLES = {"alice": "agent", "bob": "agent", "sue": "supervisor", "mary": "marketing", "ada": "admin"}


@dataclass
class Seeded:
    """Ids of what `seed` stored."""

    now: datetime
    sources: dict[str, int] = field(default_factory=dict)
    authors: dict[str, int] = field(default_factory=dict)
    mentions: dict[str, int] = field(default_factory=dict)
    incident: int = 0
    watch: int = 0


def add_users(engine: Engine, roles: dict[str, str] | None = None) -> None:
    """Users alice, bob (agents), sue (supervisor), mary (marketing), ada (admin); one password."""
    hashed = hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
    with session(engine) as sess:
        for name, role in (roles or ROLES).items():
            sess.add(
                User(
                    username=name,
                    role=role,
                    password_hash=hashed,
                    display_name=name.title(),
                    email=f"{name}@example.com",
                )
            )


def _mention(sess: Any, source_id: int, key: str, now: datetime, **kw: Any) -> Mention:
    fields: dict[str, Any] = {
        "external_id": key,
        "status": "open",
        "text": "the app lost my order",
        "sentiment": "negative",
        "confidence": 0.9,
        "severity": "medium",
        "priority": 0.5,
        "published_at": now - timedelta(hours=2),
        "fetched_at": now - timedelta(hours=2),
        "flagged_at": now - timedelta(hours=1),
        "flag_reasons": ["negative 0.90"],
        **kw,
    }
    mention = Mention(source_id=source_id, **fields)
    sess.add(mention)
    sess.flush()
    return mention


def seed(engine: Engine, *, users: bool = True, now: datetime | None = None) -> Seeded:
    """Two sources, a watch, authors across platforms, queue items, history, an incident."""
    now = now or utcnow()
    out = Seeded(now=now)
    if users:
        add_users(engine)
    with session(engine) as sess:
        watch = Watch(name="Acme Shop", terms=["acme"])
        reddit = Source(
            kind="reddit",
            name="acme-reddit",
            params={"query": "acme"},
            last_success_at=now - timedelta(minutes=5),
        )
        store = Source(
            kind="appstore",
            name="acme-appstore",
            params={"app_id": "1"},
            last_success_at=now - timedelta(hours=5),
            consecutive_failures=3,
            last_error="HTTP 503 from the store",
            last_error_at=now - timedelta(minutes=10),
            incomplete_since=now - timedelta(hours=4),
        )
        sess.add_all([watch, reddit, store])
        sess.flush()
        out.watch, out.sources = watch.id or 0, {"reddit": reddit.id or 0, "appstore": store.id or 0}
        jane = Author(
            platform="reddit",
            handle="jane_doe",
            display_name="Jane Doe",
            followers=12000,
            url="https://reddit.com/u/jane_doe",
        )
        jane_store = Author(platform="appstore", handle="jane_doe", display_name="Jane D.")
        tom = Author(platform="reddit", handle="tom")
        sess.add_all([jane, jane_store, tom])
        sess.flush()
        out.authors = {"jane": jane.id or 0, "jane_store": jane_store.id or 0, "tom": tom.id or 0}
        incident = Incident(
            title="Checkout fails with error 500",
            severity="high",
            mention_count=3,
            opened_at=now - timedelta(hours=3),
            last_seen_at=now - timedelta(minutes=20),
            keywords=["checkout", "error"],
            source_ids=[reddit.id or 0],
        )
        sess.add(incident)
        sess.flush()
        out.incident = incident.id or 0
        m = out.mentions
        m["urgent"] = (
            _mention(
                sess,
                reddit.id,
                "urgent",
                now,
                author_id=jane.id,
                watch_id=watch.id,
                title="Acme charged me twice and support ignores me",
                text="I was charged twice for order 1234 and nobody answers. Refund please!",
                severity="critical",
                priority=0.95,
                reach=12000,
                accelerating=True,
                sla_due_at=now + timedelta(minutes=10),
                url="https://reddit.com/r/acme/1",
                flag_reasons=["negative 0.97", "severity word: refund", "reach 12000"],
                language="en",
            ).id
            or 0
        )
        m["older"] = (
            _mention(
                sess,
                store.id,
                "older",
                now,
                author_id=jane_store.id,
                rating=1.0,
                title="Late delivery",
                text="My parcel arrived a week late.",
                status="resolved",
                outcome="apologised",
                resolved_by="bob",
                published_at=now - timedelta(days=20),
                fetched_at=now - timedelta(days=20),
                flagged_at=now - timedelta(days=20),
                first_claimed_at=now - timedelta(days=20),
                resolved_at=now - timedelta(days=19),
                language="en",
            ).id
            or 0
        )
        m["after"] = (
            _mention(
                sess,
                store.id,
                "after",
                now,
                author_id=jane_store.id,
                rating=5.0,
                title="Much better now",
                text="Thanks for sorting my delivery out!",
                status="scored",
                sentiment="positive",
                severity=None,
                flagged_at=None,
                published_at=now - timedelta(days=10),
                fetched_at=now - timedelta(days=10),
                language="en",
            ).id
            or 0
        )
        m["breached"] = (
            _mention(
                sess,
                reddit.id,
                "breached",
                now,
                author_id=tom.id,
                watch_id=watch.id,
                title="App crashes at checkout",
                text="Checkout crashes with error 500.",
                severity="high",
                priority=0.7,
                sla_due_at=now - timedelta(minutes=30),
                incident_id=incident.id,
                language="de",
            ).id
            or 0
        )
        m["incident2"] = (
            _mention(
                sess,
                reddit.id,
                "incident2",
                now,
                watch_id=watch.id,
                title="checkout error again",
                text="error 500 at checkout, again",
                severity="high",
                priority=0.6,
                incident_id=incident.id,
            ).id
            or 0
        )
        m["low"] = (
            _mention(
                sess,
                store.id,
                "low",
                now,
                title="meh",
                text="Delivery was a bit slow.",
                severity="low",
                priority=0.1,
                rating=3.0,
                flagged_at=now - timedelta(minutes=5),
            ).id
            or 0
        )
        m["quiet"] = (
            _mention(
                sess,
                reddit.id,
                "quiet",
                now,
                title="love acme",
                text="Acme is great",
                status="scored",
                sentiment="positive",
                severity=None,
                flagged_at=None,
            ).id
            or 0
        )
        for i, likes in enumerate((3, 40, 400)):
            sess.add(
                EngagementSnapshot(
                    mention_id=m["urgent"],
                    taken_at=now - timedelta(minutes=60 - 20 * i),
                    likes=likes,
                    replies=likes // 4,
                )
            )
        sess.add(
            Score(
                mention_id=m["urgent"],
                model="builtin-minilm",
                revision="r1",
                label="negative",
                confidence=0.97,
                probabilities={"negative": 0.97},
            )
        )
        sess.add(
            CrawlRun(
                source_id=store.id,
                status="failed",
                started_at=now - timedelta(minutes=10),
                finished_at=now - timedelta(minutes=9),
                errors=[{"error": "HTTP 503"}],
            )
        )
        sess.add(
            CrawlRun(
                source_id=reddit.id,
                status="ok",
                started_at=now - timedelta(minutes=6),
                finished_at=now - timedelta(minutes=5),
                pages=2,
                items_new=4,
            )
        )
    return out


def add_hostile(engine: Engine, source_id: int, payloads: list[str], *, priority: float = 0.99) -> list[int]:
    """One open mention per payload, with the payload in the title, text and author name."""
    table_a = Author.__table__  # type: ignore[attr-defined]
    table_m = Mention.__table__  # type: ignore[attr-defined]
    now = utcnow()
    ids = []
    with engine.begin() as conn:
        for i, payload in enumerate(payloads):
            author_id = conn.execute(
                insert(table_a)
                .values(
                    platform="reddit", handle=f"h{i}", display_name=payload, first_seen_at=now, erased=False
                )
                .returning(table_a.c.id)
            ).scalar_one()
            ids.append(
                conn.execute(
                    insert(table_m)
                    .values(
                        source_id=source_id,
                        external_id=f"hostile-{i}",
                        title=payload,
                        text=f"{payload}\n{payload}",
                        url=payload if i % 2 else "javascript:alert(1)",
                        author_id=author_id,
                        status="open",
                        severity="high",
                        priority=priority - i / 1000,
                        flag_reasons=[payload],
                        match_reason=payload,
                        fetched_at=now,
                        updated_at=now,
                        flagged_at=now,
                        engagement={},
                        version=1,
                        viral_score=0.0,
                        accelerating=False,
                    )
                    .returning(table_m.c.id)
                ).scalar_one()
            )
    return ids
