"""Delivery: claim due outbox rows, send them (grouped per storm control), record the outcome.

Claiming is one conditional UPDATE (``pending``/expired ``sending`` → ``sending`` with a lease in
``next_attempt_at``); on PostgreSQL the candidate rows are picked ``FOR UPDATE SKIP LOCKED`` so several
senders run side by side, on SQLite the write lock serialises claims. A sender that dies after sending
but before recording leaves its rows ``sending``; when the lease runs out another pass sends them again:
at most one duplicate, never a loss. Receivers can drop the duplicate by the leading dedup key
(webhook header ``X-Bounceback-Delivery``, email header ``X-Bounceback-Alert``).

Failures: `DeliveryError.permanent` → ``dead`` at once with the reason; otherwise retried with
exponential backoff and jitter, or after the receiver's ``Retry-After``, until
``alert_max_attempts``. After a passing failure the channel is left alone for the rest of the pass.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, desc, exists, select, update
from sqlalchemy.orm import aliased

from alerts.channels import make_notifier
from alerts.errors import DeliveryError
from alerts.message import Notice, severity_rank
from alerts.notifiers.base import Notifier
from alerts.outbox import AL, M
from alerts.sql import CH
from alerts.storm import next_slot, quiet_until
from bounceback.db import get_engine, is_postgres
from bounceback.errors import InvalidInput
from bounceback.settings import Settings, get_settings
from bounceback.types import utcnow

log = logging.getLogger("alerts.delivery")
LEASE_SECONDS = 120
BATCH = 500
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
RETRY_AFTER_CAP_SECONDS = 86400.0
HANDLED = ("claimed", "resolved", "dismissed")  # a person already has it: don't ping about it
GROUPABLE = ("mention", "escalation")
CLAIMED = (
    AL.c.id,
    AL.c.dedup_key,
    AL.c.channel_id,
    AL.c.kind,
    AL.c.group_key,
    AL.c.severity,
    AL.c.payload,
    AL.c.attempts,
    AL.c.mention_id,
    AL.c.next_attempt_at,
)


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before retry ``attempts`` + 1: 30 s, 60 s, 120 s … up to 1 h, jittered to 50-100 %."""
    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return delay * (rng or random).uniform(0.5, 1.0)


@dataclass
class PassResult:
    """What one delivery pass did (counts for the job log)."""

    claimed: int = 0
    messages: int = 0
    delivered: int = 0  # alerts that reached the receiver (sent or folded into a sent message)
    deferred: int = 0
    retrying: int = 0
    dead: int = 0
    suppressed: int = 0
    errors: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """The counts as a dict (errors cut to a few)."""
        out: dict[str, Any] = {k: v for k, v in self.__dict__.items() if k != "errors"}
        if self.errors:
            out["errors"] = self.errors[:3]
        return out


def claim(
    engine: Engine, now: datetime, *, limit: int = BATCH, lease_seconds: int = LEASE_SECONDS
) -> list[Any]:
    """Take up to ``limit`` due rows for this sender: status ``sending``, lease until now + lease."""
    other = aliased(AL)
    busy_group = exists().where(
        other.c.channel_id == AL.c.channel_id,
        other.c.group_key == AL.c.group_key,
        other.c.status == "sending",
        other.c.next_attempt_at > now,
    )
    due = (
        select(AL.c.id)
        .where(
            AL.c.kind != "request",
            AL.c.channel_id.is_not(None),
            AL.c.status.in_(("pending", "sending")),
            AL.c.next_attempt_at <= now,
            ~busy_group,
        )
        .order_by(AL.c.next_attempt_at, AL.c.id)
        .limit(limit)
    )
    if is_postgres(engine):
        due = due.with_for_update(skip_locked=True, of=AL)
    lease = now + timedelta(seconds=lease_seconds)
    with engine.begin() as conn:
        rows = conn.execute(
            update(AL)
            .where(AL.c.id.in_(due.scalar_subquery()), AL.c.status.in_(("pending", "sending")))
            .values(status="sending", next_attempt_at=lease)
            .returning(*CLAIMED)
        ).all()
    return sorted(rows, key=lambda r: r.id)


class _Pass:
    """One delivery pass over claimed rows."""

    def __init__(
        self, engine: Engine, settings: Settings, now: datetime, lease_seconds: int, rng: random.Random | None
    ) -> None:
        self.engine, self.settings, self.now = engine, settings, now
        self.lease_seconds, self.rng = lease_seconds, rng
        self.result = PassResult()
        self.lease = now + timedelta(seconds=lease_seconds)  # what `claim` wrote into next_attempt_at
        self.held: set[int] = set()  # claimed rows not yet recorded
        self.started = self.renewed = time.monotonic()
        self.lost = False

    def _set(self, rows: list[Any], **values: Any) -> None:
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(AL).where(AL.c.id.in_([r.id for r in rows]), AL.c.status == "sending").values(**values)
            )
        self.held.difference_update(r.id for r in rows)

    def defer(self, rows: list[Any], until: datetime, reason: str) -> None:
        self._set(rows, status="pending", next_attempt_at=until, last_error=reason)
        self.result.deferred += len(rows)

    def suppress(self, rows: list[Any], reason: str) -> None:
        self._set(rows, status="suppressed", last_error=reason)
        self.result.suppressed += len(rows)

    def kill(self, rows: list[Any], reason: str) -> None:
        self._set(rows, status="dead", last_error=reason, attempts=AL.c.attempts + 1)
        self.result.dead += len(rows)
        log.warning("alerts %s dead: %s", [r.id for r in rows], reason)

    def run(self, rows: list[Any]) -> None:
        channels = self._channels({r.channel_id for r in rows})
        handled = self._handled_mentions([r for r in rows if r.kind in GROUPABLE and r.mention_id])
        by_channel: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            if row.mention_id in handled:
                self.suppress([row], f"not sent: the mention is already {handled[row.mention_id]}")
            else:
                by_channel[row.channel_id].append(row)
        for channel_id, channel_rows in by_channel.items():
            channel = channels.get(channel_id)
            if channel is None or not channel.enabled:
                self.suppress(channel_rows, "not sent: the channel is disabled or gone")
                continue
            self._channel(channel, channel_rows)

    def _channels(self, ids: set[int]) -> dict[int, Any]:
        with self.engine.execution_options(readonly=True).connect() as conn:
            return {c.id: c for c in conn.execute(select(CH).where(CH.c.id.in_(ids))).all()}

    def _handled_mentions(self, rows: list[Any]) -> dict[int, str]:
        if not rows:
            return {}
        with self.engine.execution_options(readonly=True).connect() as conn:
            found = conn.execute(
                select(M.c.id, M.c.status, M.c.claimed_by).where(
                    M.c.id.in_({r.mention_id for r in rows}), M.c.status.in_(HANDLED)
                )
            ).all()
        return {f.id: f"{f.status}" + (f" by {f.claimed_by}" if f.claimed_by else "") for f in found}

    def _channel(self, channel: Any, rows: list[Any]) -> None:
        try:
            until = quiet_until(channel.quiet_hours, channel.timezone, self.now)
        except InvalidInput:
            until = None
        if until is not None:
            waiting = [r for r in rows if severity_rank(r.severity) < 4]
            self.defer(
                waiting, until, f"deferred: quiet hours of channel {channel.name} until {until.isoformat()}"
            )
            rows = [r for r in rows if severity_rank(r.severity) >= 4]
        try:
            notifier = make_notifier(channel, self.settings)
        except InvalidInput as exc:
            self.kill(rows, f"channel {channel.name} is misconfigured: {exc}")
            return
        try:
            tripped: datetime | None = None
            for (_kind, key), group in self._groups(rows).items():
                if tripped is not None:
                    self.defer(
                        group, tripped, f"deferred: channel {channel.name} failed earlier in this pass"
                    )
                    continue
                slot = self._group_slot(channel.id, key)
                if slot is not None and slot > self.now:
                    self.defer(
                        group, slot, f"grouped: waits for the group window ({key}) until {slot.isoformat()}"
                    )
                    continue
                tripped = self._send(notifier, group, key)
        finally:
            notifier.close()

    def _groups(self, rows: list[Any]) -> dict[tuple[str, str], list[Any]]:
        """(kind, group key) → rows; a row that is not grouped gets its own key ``#id``."""
        groups: dict[tuple[str, str], list[Any]] = {}
        window = self.settings.alert_group_window_seconds
        for row in rows:
            key = row.group_key if (window > 0 and row.group_key and row.kind in GROUPABLE) else f"#{row.id}"
            groups.setdefault((row.kind, key), []).append(row)
        return groups

    def _group_slot(self, channel_id: int, key: str) -> datetime | None:
        if key.startswith("#"):
            return None
        with self.engine.execution_options(readonly=True).connect() as conn:
            last = conn.execute(
                select(AL.c.sent_at, AL.c.payload)
                .where(AL.c.channel_id == channel_id, AL.c.group_key == key, AL.c.status == "sent")
                .order_by(desc(AL.c.sent_at))
                .limit(1)
            ).first()
        if last is None:
            return None
        count = int((last.payload or {}).get("message_count", 1))
        return next_slot(
            last.sent_at,
            count,
            self.settings.alert_group_window_seconds,
            self.settings.alert_cooldown_seconds,
        )

    def _renew(self) -> bool:
        """Extend the lease on every row still held once a third of it has passed; False if lost."""
        elapsed = time.monotonic() - self.renewed
        if self.lost or elapsed < self.lease_seconds / 3:
            return not self.lost
        lease = self.now + timedelta(seconds=time.monotonic() - self.started + self.lease_seconds)
        with self.engine.begin() as conn:
            held = conn.execute(
                update(AL)
                .where(AL.c.id.in_(self.held), AL.c.status == "sending", AL.c.next_attempt_at == self.lease)
                .values(next_attempt_at=lease)
            ).rowcount
        self.lease, self.renewed = lease, time.monotonic()
        self.lost = held != len(self.held)
        if self.lost:
            log.warning("lost the lease on some of alerts %s; another sender has them", sorted(self.held))
        return not self.lost

    def _sweep(self, lead: Any, key: str) -> list[Any]:
        """Claim the group's other due rows beyond this pass's batch, so a storm leaves as ONE message."""
        with self.engine.begin() as conn:
            swept = list(
                conn.execute(
                    update(AL)
                    .where(
                        AL.c.channel_id == lead.channel_id,
                        AL.c.group_key == key,
                        AL.c.kind == lead.kind,
                        AL.c.status == "pending",
                        AL.c.next_attempt_at <= self.now,
                    )
                    .values(status="sending", next_attempt_at=self.lease)
                    .returning(*CLAIMED)
                ).all()
            )
        self.held.update(r.id for r in swept)
        return swept

    def _send(self, notifier: Notifier, rows: list[Any], key: str) -> datetime | None:
        """Send one message for ``rows``; returns the retry time if the channel failed passingly."""
        if not self._renew():
            return None
        if not key.startswith("#"):
            rows = rows + self._sweep(rows[0], key)
        rows = sorted(
            rows,
            key=lambda r: (-severity_rank(r.severity), -float((r.payload or {}).get("priority") or 0), r.id),
        )
        lead = rows[0]
        notice = Notice(
            kind=lead.kind,
            items=[r.payload or {} for r in rows],
            count=len(rows),
            severity=lead.severity,
            dedup_keys=[r.dedup_key for r in rows],
            group_key=None if key.startswith("#") else key,
        )
        try:
            notifier.send(notice)
        except DeliveryError as exc:
            return self._failed(rows, exc)
        self._delivered(rows)
        return None

    def _delivered(self, rows: list[Any]) -> None:
        lead, rest = rows[0], rows[1:]
        with self.engine.begin() as conn:
            conn.execute(
                update(AL)
                .where(AL.c.id == lead.id)
                .values(
                    status="sent",
                    sent_at=self.now,
                    attempts=AL.c.attempts + 1,
                    last_error=None,
                    payload={**(lead.payload or {}), "message_count": len(rows)},
                )
            )
            if rest:
                conn.execute(
                    update(AL)
                    .where(AL.c.id.in_([r.id for r in rest]))
                    .values(
                        status="grouped",
                        sent_at=self.now,
                        attempts=AL.c.attempts + 1,
                        last_error=f"sent within alert {lead.id} ({len(rows)} alerts in one message)",
                    )
                )
        self.held.difference_update(r.id for r in rows)
        self.result.messages += 1
        self.result.delivered += len(rows)

    def _failed(self, rows: list[Any], exc: DeliveryError) -> datetime | None:
        self.result.errors.append(exc.message)
        if exc.permanent:
            self.kill(rows, f"permanent failure: {exc.message}")
            return None
        attempts = max(r.attempts for r in rows) + 1
        if attempts >= self.settings.alert_max_attempts:
            self.kill(rows, f"gave up after {attempts} attempts: {exc.message}")
            return None
        if exc.retry_after is not None:
            delay = min(RETRY_AFTER_CAP_SECONDS, max(1.0, exc.retry_after))
        else:
            delay = backoff(attempts, self.rng)
        retry_at = self.now + timedelta(seconds=delay)
        self._set(
            rows,
            status="pending",
            attempts=AL.c.attempts + 1,
            next_attempt_at=retry_at,
            last_error=f"attempt {attempts} failed: {exc.message}",
        )
        self.result.retrying += len(rows)
        log.info("alerts %s will retry at %s: %s", [r.id for r in rows], retry_at.isoformat(), exc.message)
        return retry_at


def deliver(
    engine: Engine | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    *,
    limit: int = BATCH,
    lease_seconds: int = LEASE_SECONDS,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """One delivery pass over the due outbox rows; returns counts."""
    engine, settings, now = engine or get_engine(), settings or get_settings(), now or utcnow()
    rows = claim(engine, now, limit=limit, lease_seconds=lease_seconds)
    worker = _Pass(engine, settings, now, lease_seconds, rng)
    worker.result.claimed = len(rows)
    worker.held = {r.id for r in rows}
    if rows:
        worker.run(rows)
    return worker.result.counts()
