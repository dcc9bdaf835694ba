"""Rendering helpers shared by the pages. Scraped text is hostile: it only ever reaches the page
escaped for Markdown (see :func:`md`) or through elements that render plain text (dataframes)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import streamlit as st

from bounceback.types import Role, utcnow
from dashboard.access import SessionUser, logout
from dashboard.queries.health import data_warnings

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of them
# turns links, images, emphasis, HTML, LaTeX ($), Streamlit directives (:red[…]) and autolinks
# (http\:) into literal text.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
SEVERITY_COLOURS = {"critical": "red", "high": "orange", "medium": "yellow", "low": "gray"}
STATUS_COLOURS = {
    "open": "blue",
    "claimed": "violet",
    "escalated": "red",
    "reopened": "orange",
    "resolved": "green",
    "dismissed": "gray",
}


def md(text: str | None) -> str:
    """``text`` escaped so Markdown shows it literally, line breaks kept."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c == "\n" or c == "\t" or (ord(c) >= 32 and ord(c) != 127))
    escaped = _PUNCTUATION.sub(r"\\\1", text)
    return "  \n".join(line.strip() for line in escaped.split("\n"))


def show_text(text: str | None) -> None:
    """Scraped text as a readable paragraph, inert."""
    st.markdown(md(text) or "_(no text)_")


def badge(label: str, colour: str) -> str:
    """A Markdown badge for one of OUR labels (never scraped text)."""
    safe = re.sub(r"[^A-Za-z0-9 _-]", "", label).replace("_", " ")
    return f":{colour}-badge[{safe}]"


def severity_badge(severity: str | None) -> str:
    """The coloured badge for a severity."""
    return badge(severity or "unrated", SEVERITY_COLOURS.get(severity or "", "gray"))


def status_badge(status: str) -> str:
    """The coloured badge for a status."""
    return badge(status, STATUS_COLOURS.get(status, "gray"))


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """ "5 min ago", "3 h ago", "2 d ago" (or "never")."""
    if when is None:
        return "never"
    return f"{duration((now or utcnow()) - when)} ago"


def duration(delta: timedelta) -> str:
    """A short human duration: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def sla_text(left: timedelta | None) -> str:
    """SLA countdown as Markdown: green/orange time left, red once breached."""
    if left is None:
        return ":gray[no SLA]"
    if left.total_seconds() < 0:
        return f":red[**SLA breached {duration(left)} ago**]"
    colour = "orange" if left < timedelta(minutes=15) else "green"
    return f":{colour}[{duration(left)} left]"


def when(dt: datetime | None) -> str:
    """A UTC timestamp as text."""
    return "—" if dt is None else f"{dt:%Y-%m-%d %H:%M} UTC"


def data_banner(user: SessionUser) -> None:
    """Warn, on every page, when data may be incomplete or alerts could not be delivered."""
    warnings = data_warnings()
    if warnings.incomplete:
        names = ", ".join(md(n) for n in warnings.incomplete)
        st.warning(
            f"Data may be incomplete: no successful crawl recently from {names}.", icon=":material/warning:"
        )
    if warnings.failing:
        names = ", ".join(md(n) for n in warnings.failing)
        st.warning(f"Crawls are failing for {names}; see Sources.", icon=":material/warning:")
    if warnings.dead_alerts and user.role in (Role.supervisor, Role.admin):
        st.error(f"{warnings.dead_alerts} alert(s) could not be delivered.", icon=":material/unsubscribe:")


def sidebar(user: SessionUser, session_minutes: int) -> None:
    """Who is logged in, until when, and the log-out button."""
    with st.sidebar:
        st.markdown(f"**{md(user.display_name)}**  \n{badge(user.role.value, 'blue')}")
        st.caption(f"Session ends {when(user.expires_at(session_minutes))}")
        if st.button("Log out", key="logout", width="stretch"):
            logout()
            st.rerun()
