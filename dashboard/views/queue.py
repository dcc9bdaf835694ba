"""Queue: flagged items by priority with filters, SLA countdown and "new since you looked"; live."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from bounceback.settings import get_settings
from bounceback.types import utcnow
from dashboard import access, ui
from dashboard.queries import queue as q

PAGE_SIZE = 25


@st.cache_data(ttl=30, show_spinner=False)
def _facets(database: str) -> q.Facets:
    """Filter choices change rarely: read them at most every 30 s per database."""
    return q.load_facets()


user = access.require("queue")
if "queue_seen_at" not in st.session_state:
    # The baseline for "new since you looked" is fixed for this visit; live refreshes keep it.
    st.session_state.queue_seen_at = q.last_seen(user.username)
    q.mark_seen(user.username)

head, mark = st.columns([5, 1], vertical_alignment="bottom")
head.title("Queue")
if mark.button("Mark all as seen", width="stretch"):
    st.session_state.queue_seen_at = utcnow()
    q.mark_seen(user.username)

due = q.follow_ups_due(user=user.username)
if due:
    with st.expander(f"Follow-ups due ({len(due)})", icon=":material/event_upcoming:"):
        for f in due:
            st.markdown(
                f"**{ui.md(f.title)}** · {ui.md(f.author)} · {ui.md((f.outcome or '').replace('_', ' '))} · "
                f"due {ui.ago(f.follow_up_at)}"
            )
            st.page_link("views/item.py", label=f"Open #{f.id}", query_params={"id": str(f.id)})

facets = _facets(get_settings().database_url)
with st.expander("Filters", expanded=False, icon=":material/filter_list:"):
    c = st.columns(4)
    sources = c[0].multiselect(
        "Source", list(facets.sources), format_func=lambda i: facets.sources[i], key="f_src"
    )
    severities = c[1].multiselect("Severity", ["critical", "high", "medium", "low"], key="f_sev")
    statuses = c[2].multiselect("Status", list(q.QUEUE_STATUSES), key="f_status")
    watches = c[3].multiselect(
        "Watch", list(facets.watches), format_func=lambda i: facets.watches[i], key="f_watch"
    )
    c = st.columns(4)
    languages = c[0].multiselect("Language", facets.languages, key="f_lang")
    incident = c[1].selectbox(
        "Incident",
        [None, *facets.incidents],
        format_func=lambda i: "Any" if i is None else f"#{i} {facets.incidents[i][:60]}",
        key="f_incident",
    )
    mine = c[2].toggle("Only mine", key="f_mine")

filters = q.QueueFilters(
    sources=tuple(sources),
    severities=tuple(severities),
    statuses=tuple(statuses),
    watches=tuple(watches),
    incident_id=incident,
    languages=tuple(languages),
    mine=mine,
)
if st.session_state.get("queue_filters") != filters:
    st.session_state.queue_filters = filters
    st.session_state.queue_page = 0


def _claim(mention_id: int) -> None:
    """Button callback: claim before the list reruns, so it shows the outcome straight away.

    The agent stays on the queue and opens the item from the link shown: switching pages from the
    server (st.switch_page) while the live refresh's timer runs in the browser lets a refresh already
    on its way arrive after the switch and blank the item page (Streamlit 1.67). Links navigate in
    the browser, which stops the timer first.
    """
    result = q.claim_item(mention_id, user.username)
    st.session_state.queue_flash = (result.ok, mention_id, result.message)


def _row(row: q.QueueRow) -> None:
    now = utcnow()
    with st.container(border=True, key=f"row-{row.id}"):
        main, sla, act = st.columns([7, 2.2, 1.3], vertical_alignment="center")
        new = " :blue-badge[new]" if row.is_new(st.session_state.queue_seen_at) else ""
        surge = " :red-badge[spreading]" if row.accelerating else ""
        main.markdown(f"{ui.severity_badge(row.severity)}{new}{surge} **{ui.md(row.title[:140])}**")
        meta = " · ".join(
            [ui.md(row.source_name), ui.md(row.author), f"{ui.ago(row.flagged_at, now)}"]
            + ([f"reach {row.reach:,}"] if row.reach else [])
            + ([f"incident \\#{row.incident_id}"] if row.incident_id else [])
        )
        main.caption(meta)
        if row.snippet and row.snippet != row.title:
            main.caption(ui.md(row.snippet[:200]))
        holder = "" if not row.claimed_by else f"  \n{ui.md('held by ' + row.claimed_by)}"
        sla.markdown(f"{ui.sla_text(row.sla_left(now))}  \n{ui.status_badge(row.status)}{holder}")
        if row.claimed_by is None:
            act.button(
                "Claim",
                key=f"claim-{row.id}",
                type="primary",
                width="stretch",
                on_click=_claim,
                args=(row.id,),
            )
        act.page_link(
            "views/item.py", label="Open", query_params={"id": str(row.id)}, icon=":material/open_in_new:"
        )


@st.fragment(run_every=timedelta(seconds=get_settings().queue_refresh_seconds))
def queue_list() -> None:
    """The list itself: re-rendered every few seconds without touching filters or the page number."""
    if access.current_user() is None:  # the session expired between two refreshes
        st.rerun(scope="app")
    page_no = st.session_state.get("queue_page", 0)
    page = q.load_queue(
        st.session_state.queue_filters,
        user=user.username,
        seen_since=st.session_state.queue_seen_at,
        page=page_no,
        page_size=PAGE_SIZE,
    )
    m = st.columns(4)
    m[0].metric("On the queue", page.total)
    m[1].metric("New since you looked", page.new_count)
    m[2].metric("SLA breached, unclaimed", page.breached)
    m[3].metric("Refreshed", f"{utcnow():%H:%M:%S}")
    flash = st.session_state.get("queue_flash")
    if flash and flash[0]:
        with st.container(border=True, key="queue_claimed"):
            st.success(ui.md(flash[2]), icon=":material/back_hand:")
            st.page_link(
                "views/item.py",
                label=f"Open #{flash[1]} to read and reply",
                query_params={"id": str(flash[1])},
                icon=":material/open_in_new:",
            )
    elif flash:
        st.error(ui.md(f"Mention {flash[1]}: {flash[2]}"), icon=":material/lock:")
    if not page.rows:
        st.success("Nothing waiting. Nice work." if page_no == 0 else "No more items.")
    for row in page.rows:
        _row(row)
    pages = max(1, -(-page.total // PAGE_SIZE))
    prev, label, nxt = st.columns([1, 3, 1], vertical_alignment="center")
    if prev.button("← Previous", disabled=page_no == 0, width="stretch"):
        st.session_state.queue_page = page_no - 1
        st.rerun(scope="fragment")
    label.caption(f"Page {page_no + 1} of {pages}")
    if nxt.button("Next →", disabled=page_no + 1 >= pages, width="stretch"):
        st.session_state.queue_page = page_no + 1
        st.rerun(scope="fragment")


queue_list()
