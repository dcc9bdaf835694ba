"""Sources: health per source and the latest crawl runs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import access, ui
from dashboard.queries import health

access.require("sources")
st.title("Sources")
sources = health.source_health()
if not sources:
    st.info("No sources yet. An admin adds them in Settings (or `bounceback source add`).")
    st.stop()

states = pd.Series([s.state for s in sources]).value_counts()
cols = st.columns(4)
cols[0].metric("Sources", len(sources))
cols[1].metric("Healthy", int(states.get("ok", 0)))
cols[2].metric("Failing", int(states.get("failing", 0)))
cols[3].metric("Incomplete", int(states.get("incomplete", 0)))

table = pd.DataFrame(
    [
        {
            "state": s.state,
            "name": s.name,
            "kind": s.kind,
            "last success": s.last_success_at,
            "lag": ui.duration(s.lag) if s.lag is not None else "—",
            "failures": s.consecutive_failures,
            "incomplete since": s.incomplete_since,
            "last error": (s.last_error or "")[:300],
            "every": ui.duration(pd.Timedelta(seconds=s.interval_seconds).to_pytimedelta()),
        }
        for s in sources
    ]
)
WHEN = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", timezone="UTC")
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "last success": WHEN,
        "incomplete since": WHEN,
        "last error": st.column_config.TextColumn(),
    },
)

st.subheader("Recent crawl runs")
names = {s.id: s.name for s in sources}
picked = st.selectbox(
    "Source", [None, *names], format_func=lambda i: "All sources" if i is None else names[i]
)
runs = health.recent_runs(picked)
if runs.empty:
    st.caption("No crawl runs yet.")
else:
    st.dataframe(runs, hide_index=True, width="stretch", column_config={"started": WHEN})
