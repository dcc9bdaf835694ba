"""Item (?id=N): the mention as inert text, its context, and what to do next."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from bounceback.errors import NotFound
from bounceback.types import MentionStatus, utcnow
from dashboard import access, item_panels, ui
from dashboard.queries import item as items

user = access.require("item")
st.session_state.pop("queue_flash", None)  # the queue's claim message (and its link here) is done with
raw_id = str(st.query_params.get("id", ""))
if not raw_id.isdigit():
    st.info("Pick an item from the queue.")
    st.page_link("views/queue.py", label="Go to the queue", icon=":material/inbox:")
    st.stop()
try:
    view = items.load_item(int(raw_id))
except NotFound:
    st.error(f"Mention {raw_id} does not exist.")
    st.stop()
m = view.mention
now = utcnow()

st.page_link("views/queue.py", label="Back to the queue", icon=":material/arrow_back:")
flash = st.session_state.pop("item_flash", None)
if flash:
    (st.success if flash[0] else st.error)(ui.md(flash[1]))

title = " ".join((m.title or "").split()) or " ".join(m.text.split())[:100] or f"Mention {m.id}"
st.subheader(ui.md(title), anchor=False)
badges = [ui.severity_badge(m.severity), ui.status_badge(m.status)]
if m.accelerating:
    badges.append(":red-badge[spreading fast]")
if m.sla_due_at or view.sla_due_at:
    left = (view.sla_due_at - now) if view.sla_due_at else None
    badges.append(
        ui.sla_text(left)
        if not m.first_claimed_at
        else ":green-badge[claimed in time]"
        if view.sla_due_at and m.first_claimed_at <= view.sla_due_at
        else ":red-badge[claimed late]"
    )
st.markdown(" ".join(badges))
st.caption(
    " · ".join(
        [
            f"\\#{m.id}",
            ui.md(view.source.name),
            ui.md(view.source.kind),
            f"published {ui.when(m.published_at)}",
            f"fetched {ui.when(m.fetched_at)}",
        ]
        + ([f"language {ui.md(m.language)}"] if m.language else [])
    )
)

if m.claimed_by == user.username:
    st.success(f"You hold this item since {ui.when(m.claimed_at)}.", icon=":material/back_hand:")
elif m.claimed_by:
    st.warning(
        f"{ui.md(m.claimed_by)} holds this item since {ui.when(m.claimed_at)}.", icon=":material/lock:"
    )

left_col, right_col = st.columns([2, 1], gap="large")
with left_col:
    with st.container(border=True):
        if m.purged_at:
            st.caption("The text was erased (retention or a deletion request).")
        ui.show_text(m.text)
        if m.rating is not None:
            st.caption(f"Rating: {m.rating:g} / 5")
    if view.safe_url:
        st.link_button("Open the original", view.safe_url, icon=":material/open_in_new:")
    elif m.url:
        st.caption("The original link is not a web address and is not shown.")
    item_panels.copies_panel(view)
    item_panels.source_context_panel(view)

    why, score, reach = st.columns(3)
    with why:
        st.markdown("**Why flagged**")
        reasons = m.flag_reasons or []
        st.markdown("  \n".join(f"• {ui.md(str(r))}" for r in reasons) or "_not flagged_")
        if m.match_reason:
            st.caption(f"Matched: {ui.md(m.match_reason)}")
    with score:
        st.markdown("**Score**")
        conf = f"{m.confidence:.0%}" if m.confidence is not None else "—"
        st.metric(ui.md(m.sentiment or "unscored"), conf, help="Sentiment and the model's confidence")
        if view.scores:
            latest = view.scores[-1]
            st.caption(f"{ui.md(latest.model)} {ui.md(latest.revision)}")
    with reach:
        st.markdown("**Reach**")
        st.metric("followers / score", f"{m.reach:,}" if m.reach else "—")
        st.caption(f"viral score {m.viral_score:.2f}")
        series = items.engagement_series(view.snapshots)
        if len(series) >= 2:
            frame = pd.DataFrame(series, columns=["when", "engagement"])
            chart = (
                alt.Chart(frame)
                .mark_area(line=True, opacity=0.3)
                .encode(x=alt.X("when:T", axis=None), y=alt.Y("engagement:Q", axis=None))
                .properties(height=60)
            )
            st.altair_chart(chart, width="stretch")
        else:
            st.caption("No engagement history yet.")

    if m.status != MentionStatus.duplicate:  # a copy is handled on its original
        item_panels.action_panel(view, user)

    st.markdown("**Activity**")
    if view.activity:
        log = pd.DataFrame(
            [
                {"when": a.created_at, "who": a.actor, "what": a.action, "note": a.note or ""}
                for a in view.activity
            ]
        ).iloc[::-1]
        st.dataframe(
            log,
            hide_index=True,
            width="stretch",
            column_config={
                "when": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", timezone="UTC")
            },
        )
    else:
        st.caption("Nothing done yet.")

with right_col:
    item_panels.author_card(view)
