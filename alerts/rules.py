"""Rules: conditions on a flagged mention (or an incident, or an overdue item) → a channel.

A rule's ``event`` says what it listens to: ``flagged`` (a mention was flagged), ``incident`` (an
incident was opened) or ``sla`` (a flagged mention stayed unclaimed past its SLA: escalation).
The other conditions all have to hold; a condition left out always holds.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine, delete, select, update
from sqlmodel import col

from alerts.message import severity_rank
from alerts.sql import AL, CH, RU
from bounceback.db import get_engine, session
from bounceback.errors import InvalidInput, NotFound
from bounceback.tables import Rule
from bounceback.types import Severity

log = logging.getLogger("alerts.rules")
Event = Literal["flagged", "incident", "sla"]


class Conditions(BaseModel):
    """What a rule asks of a mention before it alerts."""

    model_config = ConfigDict(extra="forbid")

    event: Event = "flagged"
    min_severity: Severity | None = None
    negative: bool = False  # sentiment must be negative
    min_reach: int | None = Field(default=None, ge=0)
    min_viral: float | None = Field(default=None, ge=0)
    accelerating: bool = False
    max_rating: float | None = None
    source: str | None = None  # source name
    watch: str | None = None  # watch name

    def matches(self, item: dict[str, Any]) -> bool:
        """True when the mention payload ``item`` satisfies every condition given."""
        if self.min_severity and severity_rank(item.get("severity")) < self.min_severity.rank:
            return False
        if self.negative and item.get("sentiment") != "negative":
            return False
        if self.min_reach is not None and int(item.get("reach") or 0) < self.min_reach:
            return False
        if self.min_viral is not None and float(item.get("viral_score") or 0) < self.min_viral:
            return False
        if self.accelerating and not item.get("accelerating"):
            return False
        if self.max_rating is not None and (
            item.get("rating") is None or float(item["rating"]) > self.max_rating
        ):
            return False
        if self.source and item.get("source") != self.source:
            return False
        return not (self.watch and item.get("watch") != self.watch)

    def describe(self) -> str:
        """A short human description, e.g. ``flagged: severity ≥ high, reach ≥ 1000``."""
        parts = []
        if self.min_severity:
            parts.append(f"severity ≥ {self.min_severity.value}")
        if self.negative:
            parts.append("negative")
        if self.min_reach is not None:
            parts.append(f"reach ≥ {self.min_reach}")
        if self.min_viral is not None:
            parts.append(f"viral ≥ {self.min_viral:g}")
        if self.accelerating:
            parts.append("accelerating")
        if self.max_rating is not None:
            parts.append(f"rating ≤ {self.max_rating:g}")
        if self.source:
            parts.append(f"source = {self.source}")
        if self.watch:
            parts.append(f"watch = {self.watch}")
        return f"{self.event}: " + (", ".join(parts) or "any")


def parse_conditions(raw: dict[str, Any]) -> Conditions:
    """Validated conditions, or `InvalidInput` naming the bad field."""
    try:
        return Conditions.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise InvalidInput(f"invalid rule condition {where}: {err.get('msg')}") from None


def default_rules(channel_id: int) -> list[Rule]:
    """The rule set created with the first channel: high+ flags, new incidents, and SLA escalations."""
    return [
        Rule(
            name="high-severity",
            channel_id=channel_id,
            conditions={"event": "flagged", "min_severity": "high"},
        ),
        Rule(
            name="viral-negative",
            channel_id=channel_id,
            conditions={"event": "flagged", "negative": True, "accelerating": True},
        ),
        Rule(name="new-incident", channel_id=channel_id, conditions={"event": "incident"}),
        Rule(name="sla-escalation", channel_id=channel_id, conditions={"event": "sla"}),
    ]


def add_rule(name: str, channel: str, conditions: dict[str, Any], *, engine: Engine | None = None) -> Rule:
    """Store a rule sending matches to the channel named ``channel``."""
    parsed = parse_conditions(conditions)
    if not name.strip():
        raise InvalidInput("a rule needs a name")
    with session(engine) as sess:
        channel_id = sess.execute(select(CH.c.id).where(CH.c.name == channel)).scalar_one_or_none()
        if channel_id is None:
            raise NotFound(f"no channel named {channel!r} (see `bounceback channel list`)")
        if sess.execute(select(RU.c.id).where(RU.c.name == name)).first():
            raise InvalidInput(f"a rule named {name!r} already exists")
        rule = Rule(
            name=name, channel_id=channel_id, conditions=parsed.model_dump(exclude_defaults=True, mode="json")
        )
        sess.add(rule)
        sess.flush()
        return rule


def list_rules(*, engine: Engine | None = None) -> list[tuple[Rule, str]]:
    """Every rule with its channel's name."""
    with session(engine, readonly=True) as sess:
        rules = sess.execute(select(Rule).order_by(col(Rule.id))).scalars().all()
        names = dict(sess.execute(select(CH.c.id, CH.c.name)).all())
        return [(rule, names.get(rule.channel_id, "?")) for rule in rules]


def remove_rule(name: str, *, engine: Engine | None = None) -> None:
    """Delete the rule named ``name`` (its past alerts keep a dangling rule id set to NULL)."""
    with (engine or get_engine()).begin() as conn:
        rule_id = conn.execute(select(RU.c.id).where(RU.c.name == name)).scalar_one_or_none()
        if rule_id is None:
            raise NotFound(f"no rule named {name!r}")
        conn.execute(update(AL).where(AL.c.rule_id == rule_id).values(rule_id=None))
        conn.execute(delete(RU).where(RU.c.id == rule_id))


def active_rules(conn: Any, event: Event) -> list[tuple[int, str, int, Conditions]]:
    """(rule id, rule name, channel id, conditions) of enabled rules on enabled channels for ``event``."""
    rows = conn.execute(
        select(RU.c.id, RU.c.name, RU.c.channel_id, RU.c.conditions)
        .join(CH, CH.c.id == RU.c.channel_id)
        .where(RU.c.enabled.is_(True), CH.c.enabled.is_(True))
        .order_by(RU.c.id)
    ).all()
    out = []
    for rule_id, name, channel_id, raw in rows:
        try:
            conditions = parse_conditions(raw or {})
        except InvalidInput as exc:  # e.g. hand-written JSON from the settings page: skip it, keep the rest
            log.warning("rule %s (%s) is ignored: %s", rule_id, name, exc)
            continue
        if conditions.event == event:
            out.append((rule_id, name, channel_id, conditions))
    return out
