"""Storm control: grouping, cooldown and quiet hours.

- **Group**: alerts of one incident (else of one source) on one channel share a ``group_key``.
  The first alert of a quiet group goes out at once (speed matters); alerts arriving within the
  group window after a message wait and leave together as ONE message with a count, so a group
  sends at most one message per window.
- **Cooldown**: after a grouped message (a storm is on), the group waits the longer cooldown before
  its next message.
- **Quiet hours**: a channel's ``quiet_hours`` ("22:00-07:00", in the channel's timezone) hold its
  non-critical alerts until the quiet period ends; critical alerts still go.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bounceback.errors import InvalidInput

_QUIET = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def group_key(incident_id: int | None, source_id: int | None) -> str | None:
    """``incident:N`` when the mention belongs to an incident, else ``source:N``."""
    if incident_id:
        return f"incident:{incident_id}"
    if source_id:
        return f"source:{source_id}"
    return None


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """'22:00-07:00' → (22:00, 07:00); `InvalidInput` otherwise. The period may cross midnight."""
    match = _QUIET.match(text or "")
    if not match:
        raise InvalidInput(f"quiet hours must look like 22:00-07:00, not {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = time(h1, m1), time(h2, m2)
    if start == end:
        raise InvalidInput("quiet hours must not start and end at the same time")
    return start, end


def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``, or `InvalidInput`."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown timezone {name!r} (use an IANA name like Europe/Paris)") from None


def quiet_until(quiet_hours: str | None, timezone: str, now: datetime) -> datetime | None:
    """When the current quiet period ends (UTC-aware), or None if ``now`` is not in quiet hours."""
    if not quiet_hours:
        return None
    start, end = parse_quiet_hours(quiet_hours)
    tz = zone(timezone)
    local = now.astimezone(tz)
    today = local.date()
    for day in (today - timedelta(days=1), today):
        begins = datetime.combine(day, start, tzinfo=tz)
        end_day = day if end > start else day + timedelta(days=1)
        ends = datetime.combine(end_day, end, tzinfo=tz)
        if begins <= local < ends:
            return ends.astimezone(now.tzinfo)
    return None


def next_slot(
    last_sent_at: datetime | None, last_count: int, window_s: int, cooldown_s: int
) -> datetime | None:
    """The earliest time the group may send again (None: now)."""
    if last_sent_at is None or window_s <= 0:
        return None
    wait = max(window_s, cooldown_s) if last_count > 1 else window_s
    return last_sent_at + timedelta(seconds=wait)
