"""The item page's panels: the author's card, the source's context, the other copies of the post and the
actions (claim, reply, escalate, resolve …). Scraped strings go through ``ui.md`` or ``st.text``."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from bounceback.types import CLAIMABLE, CLOSED, Outcome, Role
from dashboard import ui
from dashboard.access import SessionUser
from dashboard.queries import actions, replies
from dashboard.queries.item import ItemView, safe_http_url
from dashboard.queries.queue import ActionResult

OUTCOME_LABELS = {
    "apologised": "Apologised",
    "fixed": "Fixed the problem",
    "compensated": "Compensated",
    "no_action": "No action needed",
    "not_ours": "Not about us",
}


def _done(result: ActionResult) -> None:
    st.session_state["item_flash"] = (result.ok, result.message)
    st.rerun()


def author_card(view: ItemView) -> None:
    """Who wrote it, what else they said anywhere, and how we handled them before."""
    with st.container(border=True):
        st.markdown("**Author**")
        if view.author is None or view.author.erased:
            st.caption("Unknown or erased author.")
            return
        a = view.author
        st.markdown(f"### {ui.md(a.display_name or a.handle)}")
        st.caption(
            f"@{ui.md(a.handle)} on {ui.md(a.platform)}"
            + (f" · {a.followers:,} followers" if a.followers else "")
        )
        profile = safe_http_url(a.url)
        if profile:
            st.link_button("Profile", profile, icon=":material/person:")
        earlier = view.earlier_resolutions
        if earlier:
            st.markdown("**Earlier resolutions**")
            for e in earlier[:5]:
                st.markdown(
                    f"{ui.badge(e.outcome or e.status, 'green')} {ui.when(e.resolved_at)}"
                    f" by {ui.md(e.resolved_by or '—')}  \n:gray[{ui.md(e.title[:100])}]"
                )
        st.markdown(f"**Other mentions** ({len(view.other_mentions)})")
        if not view.other_mentions:
            st.caption("First time we hear from them.")
        for o in view.other_mentions[:10]:
            tag = "" if o.same_account else " :gray-badge[same handle]"
            st.markdown(
                f"{ui.status_badge(o.status)}{tag} {ui.md(o.source_name)} · {ui.when(o.when)}  \n"
                f":gray[{ui.md(o.title[:120])}]"
            )
            st.page_link("views/item.py", label=f"Open #{o.id}", query_params={"id": str(o.id)})


def source_context_panel(view: ItemView) -> None:
    """What the source said beside the post (company reply, app version, subreddit …), inert."""
    context = view.context
    if context.empty:
        return
    with st.container(border=True):
        st.markdown("**Context from the source**")
        if context.reply is not None:
            reply = context.reply
            when = ui.when(reply.published_at) if reply.published_at else ui.md(reply.published_raw or "")
            st.caption(f"Company reply · {when}" if when else "Company reply")
            st.text(reply.text)
        for item in context.fields:
            line = f"{ui.md(item.label)}: {ui.md(item.text)}"
            if item.url:
                left, right = st.columns([4, 1])
                left.markdown(line)
                right.link_button("Open", item.url, icon=":material/open_in_new:")
            else:
                st.markdown(line)
        if context.trimmed:
            st.caption(f"Not all the source sent was kept: {ui.md(context.trimmed)}")


def copies_panel(view: ItemView) -> None:
    """On a duplicate, the way to the original; on any copy, the other sources that saw the post."""
    m = view.mention
    if view.original is not None:
        st.info(
            f"Duplicate: this post was first stored via {ui.md(view.original.source_name)} "
            rf"as \#{view.original.id}. Only the original is triaged, queued and alerted: work there.",
            icon=":material/content_copy:",
        )
        st.page_link(
            "views/item.py",
            label=f"Open the original #{view.original.id}",
            query_params={"id": str(view.original.id)},
            icon=":material/arrow_forward:",
        )
    elif m.status == "duplicate":
        st.info("Duplicate of a post stored through another source (no longer available).")
    for c in view.copies:
        left, mid, right = st.columns([3, 1, 1])
        left.markdown(f"Also seen via **{ui.md(c.source_name)}**")
        with mid:
            st.page_link("views/item.py", label=f"#{c.id}", query_params={"id": str(c.id)})
        if c.url:
            right.link_button("Original", c.url, icon=":material/open_in_new:")


def action_panel(view: ItemView, user: SessionUser) -> None:
    """The buttons that fit the item's state and who holds it."""
    m = view.mention
    assert m.id is not None
    mine = m.claimed_by == user.username
    held_by_other = m.claimed_by is not None and not mine
    closed = m.status in {s.value for s in CLOSED}
    claimable = m.claimed_by is None and m.status in {s.value for s in CLAIMABLE}

    bar = st.columns(4)
    if claimable and bar[0].button("Claim", type="primary", key="item_claim", width="stretch"):
        _done(actions.claim_item(m.id, user.username))
    if mine and bar[0].button("Release", key="item_release", width="stretch"):
        _done(actions.release_item(m.id, user.username))
    if (
        held_by_other
        and user.role in (Role.supervisor, Role.admin)
        and bar[0].button("Take back to queue", key="item_force_release", width="stretch")
    ):
        _done(actions.release_item(m.id, user.username, force=True))
    if closed and bar[0].button("Reopen", key="item_reopen", width="stretch"):
        _done(actions.reopen_item(m.id, user.username))
    if closed:
        st.info(
            f"Resolved as {ui.md(OUTCOME_LABELS.get(m.outcome or '', m.outcome or m.status))} "
            f"by {ui.md(m.resolved_by or '—')} {ui.when(m.resolved_at)}."
        )
    if held_by_other:
        st.caption("Actions are open to whoever holds the item.")
    can_act = not held_by_other and not closed
    tabs = st.tabs(["Reply", "Resolve", "Escalate", "Follow-up", "Relabel"])
    with tabs[0]:
        _reply(view, user, enabled=can_act)
    with tabs[1]:
        _resolve(view, user, enabled=can_act)
    with tabs[2], st.form("escalate"):
        note = st.text_area("Why escalate?", placeholder="What a supervisor needs to know")
        if st.form_submit_button("Escalate", disabled=not can_act or m.status == "escalated"):
            _done(actions.escalate_item(m.id, user.username, note))
    with tabs[3], st.form("follow_up"):
        default = (m.follow_up_at or datetime.now(UTC) + timedelta(days=3)).date()
        day = st.date_input("Follow up on", value=default)
        if st.form_submit_button("Plan follow-up", disabled=held_by_other):
            when = datetime.combine(day, time(9, 0), tzinfo=UTC)
            _done(actions.set_follow_up(m.id, user.username, when, version=m.version))
    with tabs[4], st.form("relabel"):
        label = st.radio(
            "The model got it wrong: this mention is…",
            list(actions.RELABELS),
            format_func=actions.RELABELS.get,
            horizontal=True,
        )
        note = st.text_input("Note (optional)")
        if st.form_submit_button("Save correction"):
            _done(actions.relabel_item(m.id, user.username, label, note=note or None))


def _reply(view: ItemView, user: SessionUser, *, enabled: bool) -> None:
    m = view.mention
    assert m.id is not None
    c = st.columns([2, 2, 1.5])
    template = c[0].selectbox(
        "Template", list(replies.TEMPLATES), format_func=lambda k: replies.TEMPLATE_LABELS[k]
    )
    problem = c[1].text_input("What went wrong", value=replies.guess_problem(f"{m.title or ''} {m.text}"))
    offer = replies.compensation_option(m.severity)
    compensate = c[2].checkbox(
        "Offer compensation",
        disabled=offer is None,
        help=f"Allowed for this severity: {offer}"
        if offer
        else "Only for high or critical severity: a sincere apology and a fix come first.",
    )
    ctx = replies.ReplyContext(
        name=view.author_name, product=view.product, problem=problem, severity=m.severity
    )
    draft = replies.draft_reply(template or "apology", ctx, offer_compensation=compensate)
    text = st.text_area(
        "Reply", value=draft, height=120, key=f"reply-{m.id}-{template}-{compensate}-{problem}"
    )
    if st.button("Record reply", disabled=not enabled, key="record_reply"):
        _done(actions.record_reply(m.id, user.username, text, template=template))


def _resolve(view: ItemView, user: SessionUser, *, enabled: bool) -> None:
    m = view.mention
    assert m.id is not None
    with st.form("resolve"):
        outcome = st.radio(
            "Outcome",
            [o.value for o in Outcome],
            format_func=lambda o: OUTCOME_LABELS[o],
            horizontal=True,
            key="resolve_outcome",
        )
        note = st.text_area("What was done", key="resolve_note")
        follow = st.checkbox("Plan a follow-up in 3 days", value=True, key="resolve_follow")
        if st.form_submit_button("Resolve", type="primary", disabled=not enabled):
            when = datetime.now(UTC) + timedelta(days=3) if follow else None
            _done(
                actions.resolve_item(
                    m.id,
                    user.username,
                    outcome or "apologised",
                    version=m.version,
                    note=note,
                    follow_up_at=when,
                )
            )
