"""Leadership of the scheduler: one `Lease` row, taken or renewed by ONE conditional upsert.

``INSERT … ON CONFLICT (name) DO UPDATE … WHERE lease.holder = :me OR lease.expires_at < :now
RETURNING holder`` works the same on SQLite (≥ 3.35) and PostgreSQL: the row comes back only when
this process holds the lease afterwards. Nothing is read and then written, so two candidates can
never both win. A holder that stops renewing loses the lease when it expires; the holder also stops
believing it leads at its own (monotonic) deadline, which is never later than the stored expiry.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import postgresql, sqlite

from bounceback.db import get_engine
from bounceback.tables import Lease
from bounceback.types import utcnow

log = logging.getLogger(__name__)
L = Lease.__table__  # type: ignore[attr-defined]
SCHEDULER_LEASE = "scheduler"
# A lease lives 80 % of the lease period past each renewal and is renewed every quarter period, so
# a dead leader's lease has expired at most 0.8 period after its death; a standby polls every tenth
# of a period and so takes over within one lease period.
TTL_FRACTION = 0.8
RENEW_FRACTION = 0.25
POLL_FRACTION = 0.1


def make_holder_id() -> str:
    """A name for this process that people can read in `bounceback status`: host:pid:random."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class LeaderLease:
    """Take, renew and release the named lease for ``holder``."""

    def __init__(
        self,
        lease_seconds: float,
        *,
        name: str = SCHEDULER_LEASE,
        holder: str | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.name = name
        self.holder = holder or make_holder_id()
        self.lease_seconds = float(lease_seconds)
        self._engine = engine
        self._held_until = 0.0  # time.monotonic() deadline of our belief that we lead

    @property
    def engine(self) -> Engine:
        """The database the lease lives in (the configured one unless given)."""
        return self._engine or get_engine()

    @property
    def ttl(self) -> float:
        """Seconds a renewal keeps the lease."""
        return self.lease_seconds * TTL_FRACTION

    @property
    def renew_every(self) -> float:
        """Seconds between a leader's renewals."""
        return self.lease_seconds * RENEW_FRACTION

    @property
    def poll_every(self) -> float:
        """Seconds between a standby's attempts."""
        return max(0.2, self.lease_seconds * POLL_FRACTION)

    def held(self) -> bool:
        """True while this process holds the lease (by its own clock, erring on the safe side)."""
        return time.monotonic() < self._held_until

    def try_acquire(self) -> bool:
        """Take the lease if free or expired, or renew it if ours; True when we hold it afterwards."""
        started = time.monotonic()
        now = utcnow()
        values = {"name": self.name, "holder": self.holder, "expires_at": now + timedelta(seconds=self.ttl)}
        engine = self.engine
        dialect: Any = postgresql if engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(L).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[L.c.name],
            set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
            where=(L.c.holder == self.holder) | (L.c.expires_at < now),
        ).returning(L.c.holder)
        try:
            with engine.begin() as conn:
                won = conn.execute(stmt).first() is not None
        except Exception as exc:  # database unreachable: we cannot prove we lead
            log.warning("lease %s: cannot reach the database: %s", self.name, exc)
            won = False
        self._held_until = started + self.ttl if won else 0.0
        return won

    def release(self) -> None:
        """Give the lease up now (clean shutdown), so a standby takes over at its next poll."""
        self._held_until = 0.0
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(L).where(L.c.name == self.name, L.c.holder == self.holder))
        except Exception as exc:
            log.warning("lease %s: could not release: %s", self.name, exc)

    def current_holder(self) -> tuple[str, Any] | None:
        """(holder, expires_at) of the live lease, or None when nobody holds it."""
        with self.engine.connect() as conn:
            row = conn.execute(L.select().where(L.c.name == self.name, L.c.expires_at >= utcnow())).first()
        return (row.holder, row.expires_at) if row else None
