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

# In words as well as in the table (a canvas that screen readers and find-in-page cannot read).
attention = [s for s in sources if s.state not in ("ok", "disabled")]
if attention:
    st.subheader("Needs attention")
for s in attention:
    with st.container(border=True, key=f"source-{s.id}"):
        facts = [f"last success {ui.ago(s.last_success_at)}"]
        if s.consecutive_failures:
            facts.append(f"{s.consecutive_failures} failed crawls in a row")
        if s.incomplete_since is not None:
            facts.append(f"data incomplete since {ui.when(s.incomplete_since)}")
        colour = "red" if s.state in ("incomplete", "failing") else "orange"
        name = f"**{ui.md(s.name)}** ({ui.md(s.kind)})"
        st.markdown(f"{ui.badge(s.state, colour)} {name} · {' · '.join(facts)}")
        if s.last_error:
            st.caption(f"Last error ({ui.when(s.last_error_at)}): {ui.md(s.last_error[:300])}")

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
