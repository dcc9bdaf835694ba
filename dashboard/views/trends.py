"""Trends (marketing): volume, sentiment, topics, incidents and recovery over time; CSV export."""

from __future__ import annotations

from typing import Literal

import altair as alt
import pandas as pd
import streamlit as st

from bounceback.settings import get_settings
from dashboard import access
from dashboard.queries import trends as t

access.require("trends")
st.title("Trends")


@st.cache_data(ttl=60, show_spinner=False)
def _figures(
    days: int, by: str, database: str
) -> tuple[t.Summary, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    window = t.Window.last_days(days)
    group: Literal["source", "watch"] = "watch" if by == "watch" else "source"
    return (
        t.summary(window),
        t.volume(window, by=group),
        t.outcomes(window),
        t.top_topics(window),
        t.incidents_per_day(window),
    )


c = st.columns([1, 1, 3])
days = c[0].selectbox("Period", [7, 30, 90, 365], index=1, format_func=lambda d: f"last {d} days")
by = c[1].radio("By", ["source", "watch"], horizontal=True)
summary, volume, outcomes, topics, incidents = _figures(days, by or "source", get_settings().database_url)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _mins(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} min" if value < 120 else f"{value / 60:.1f} h"


m = st.columns(5)
m[0].metric("Mentions", f"{summary.mentions:,}")
m[1].metric("Negative", _pct(summary.share_negative), help=f"{summary.negative:,} negative mentions")
m[2].metric("Average rating", "—" if summary.average_rating is None else f"{summary.average_rating:.2f} / 5")
m[3].metric("Incidents", summary.incidents)
m[4].metric("Flagged for care", f"{summary.flagged:,}")
r = st.columns(5)
r[0].metric("Median time to first claim", _mins(summary.median_minutes_to_claim))
r[1].metric("Median time to resolve", _mins(summary.median_minutes_to_resolve))
r[2].metric("SLA breaches", summary.sla_breaches)
r[3].metric("Resolved", f"{summary.resolved:,}")
r[4].metric(
    "Recovery rate",
    _pct(summary.recovery_rate),
    help=f"Of {summary.recovery_checked} resolved customers who spoke again, {summary.recovered} were "
    "not negative next time.",
)

if volume.empty:
    st.info("No mentions in this period yet.")
    st.stop()

left, right = st.columns(2)
with left:
    st.markdown(f"**Volume by {by}**")
    st.altair_chart(
        alt.Chart(volume)
        .mark_area(opacity=0.8)
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("mentions:Q", stack=True, title="mentions"),
            color=alt.Color(f"{by}:N", title=by),
            tooltip=["day:T", f"{by}:N", "mentions:Q", "negative:Q"],
        )
        .properties(height=260),
        width="stretch",
    )
with right:
    st.markdown(f"**Share negative by {by}**")
    st.altair_chart(
        alt.Chart(volume)
        .mark_line(point=True)
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("share_negative:Q", title="share negative", axis=alt.Axis(format="%")),
            color=alt.Color(f"{by}:N", title=by),
            tooltip=["day:T", f"{by}:N", alt.Tooltip("share_negative:Q", format=".0%"), "mentions:Q"],
        )
        .properties(height=260),
        width="stretch",
    )

left, mid, right = st.columns(3)
with left:
    st.markdown("**Top complaint topics**")
    if topics.empty:
        st.caption("Not enough negative mentions.")
    else:
        st.altair_chart(
            alt.Chart(topics)
            .mark_bar(color="#e45756")
            .encode(x=alt.X("mentions:Q"), y=alt.Y("topic:N", sort="-x", title=None))
            .properties(height=260),
            width="stretch",
        )
with mid:
    st.markdown("**Outcomes**")
    if outcomes.empty:
        st.caption("Nothing resolved in this period.")
    else:
        st.altair_chart(
            alt.Chart(outcomes)
            .mark_arc(innerRadius=50)
            .encode(theta="mentions:Q", color=alt.Color("outcome:N"), tooltip=["outcome:N", "mentions:Q"])
            .properties(height=260),
            width="stretch",
        )
with right:
    st.markdown("**Average rating**")
    rated = volume.dropna(subset=["average_rating"])
    if rated.empty:
        st.caption("No ratings in this period.")
    else:
        st.altair_chart(
            alt.Chart(rated)
            .mark_line(point=True)
            .encode(
                x=alt.X("day:T", title=None),
                y=alt.Y("average_rating:Q", scale=alt.Scale(domain=[1, 5]), title="stars"),
                color=alt.Color(f"{by}:N"),
            )
            .properties(height=260),
            width="stretch",
        )

if not incidents.empty:
    st.markdown("**Incidents opened per day**")
    st.altair_chart(
        alt.Chart(incidents)
        .mark_bar()
        .encode(x=alt.X("day:T", title=None), y="incidents:Q")
        .properties(height=140),
        width="stretch",
    )

st.markdown("**Export**")
d = st.columns(4)
d[0].download_button("Volume (CSV)", t.to_csv(volume), f"volume-by-{by}-{days}d.csv", "text/csv")
d[1].download_button("Outcomes (CSV)", t.to_csv(outcomes), f"outcomes-{days}d.csv", "text/csv")
d[2].download_button("Topics (CSV)", t.to_csv(topics), f"topics-{days}d.csv", "text/csv")
d[3].download_button(
    "Summary (CSV)", t.to_csv(pd.DataFrame([summary.__dict__])), f"summary-{days}d.csv", "text/csv"
)
