"""Incidents: recurring complaints grouped; claim and resolve one incident instead of many items."""

from __future__ import annotations

import altair as alt
import streamlit as st

from bounceback.types import Outcome
from dashboard import access, ui
from dashboard.item_panels import OUTCOME_LABELS
from dashboard.queries import incidents as inc

user = access.require("incidents")
st.title("Incidents")
flash = st.session_state.pop("incident_flash", None)
if flash:
    (st.success if flash[0] else st.error)(ui.md(flash[1]))

show_resolved = st.toggle("Show resolved incidents", key="inc_resolved")
rows = inc.list_incidents(include_resolved=show_resolved)
if not rows:
    st.success("No incidents: complaints are not clustering.")
    st.stop()

for row in rows:
    label = f"#{row.id} · {row.mentions} mentions · {row.title[:90]}"
    with st.expander(ui.md(label), expanded=len(rows) == 1, icon=":material/crisis_alert:"):
        st.markdown(
            f"{ui.severity_badge(row.severity)} {ui.status_badge(row.status)} "
            + (f"held by {ui.md(row.claimed_by)}" if row.claimed_by else "")
        )
        st.caption(
            f"First seen {ui.when(row.opened_at)} · last seen {ui.when(row.last_seen_at)} · "
            f"sources: {', '.join(ui.md(s) for s in row.sources) or '—'}"
        )
        if row.keywords:
            st.caption("Keywords: " + ", ".join(ui.md(k) for k in row.keywords[:10]))
        timeline = inc.incident_timeline(row.id)
        if not timeline.empty:
            chart = (
                alt.Chart(timeline)
                .mark_bar()
                .encode(
                    x=alt.X("hour:T", title=None),
                    y=alt.Y("mentions:Q", title="mentions"),
                    color=alt.Color("source:N", title="source"),
                    tooltip=["hour:T", "source:N", "mentions:Q"],
                )
                .properties(height=160)
            )
            st.altair_chart(chart, width="stretch")
        st.dataframe(inc.incident_mentions(row.id), hide_index=True, width="stretch", height=200)
        if row.status == "resolved":
            st.caption(f"Resolved: {ui.md(OUTCOME_LABELS.get(row.outcome or '', row.outcome or ''))}")
            continue
        left, right = st.columns(2)
        if row.claimed_by is None and left.button(
            "Claim incident", key=f"inc_claim_{row.id}", type="primary"
        ):
            result = inc.claim_incident(row.id, user.username)
            st.session_state.incident_flash = (result.ok, result.message)
            st.rerun()
        if row.claimed_by in (None, user.username):
            with right.form(f"inc_resolve_{row.id}"):
                outcome = st.selectbox(
                    "Outcome", [o.value for o in Outcome], format_func=lambda o: OUTCOME_LABELS[o]
                )
                note = st.text_input("What was done")
                if st.form_submit_button("Resolve incident and its mentions"):
                    result = inc.resolve_incident(
                        row.id, user.username, outcome or "fixed", note=note or None
                    )
                    st.session_state.incident_flash = (result.ok, result.message)
                    st.rerun()
