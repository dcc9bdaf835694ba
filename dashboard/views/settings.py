"""Settings (admin): SLA per severity, sources, watches, alert rules and channels, users."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from bounceback import sources as src
from bounceback import users, watches
from bounceback.errors import BouncebackError
from bounceback.settings import SEVERITIES
from bounceback.tables import SourceCreate
from bounceback.types import Role, SourceKind
from dashboard import access, ui
from dashboard.queries import admin

user = access.require("settings")
st.title("Settings")
flash = st.session_state.pop("settings_flash", None)
if flash:
    (st.success if flash[0] else st.error)(ui.md(flash[1]))


def _attempt(action: Any, done: str) -> None:
    try:
        action()
    except BouncebackError as exc:
        st.session_state.settings_flash = (False, str(exc))
    else:
        st.session_state.settings_flash = (True, done)
    st.rerun()


def _save_general(values: dict[str, int], product: str) -> None:
    admin.save_sla_minutes(values, user.username)
    admin.set_product_name(product, user.username)


sla_tab, sources_tab, watches_tab, rules_tab, channels_tab, users_tab = st.tabs(
    ["SLA", "Sources", "Watches", "Rules", "Channels", "Users"]
)

with sla_tab, st.form("sla"):
    st.caption("Minutes from flagging to first claim, per severity.")
    current = admin.sla_minutes()
    cols = st.columns(len(SEVERITIES))
    values = {
        sev: int(
            cols[i].number_input(sev.capitalize(), min_value=1, value=current[sev], step=5, key=f"sla_{sev}")
        )
        for i, sev in enumerate(SEVERITIES)
    }
    product = st.text_input("Product name used in replies", value=admin.get_product_name())
    if st.form_submit_button("Save", type="primary"):
        _attempt(
            lambda: _save_general(values, product),
            "Saved.",
        )

with sources_tab:
    rows = src.list_sources()
    if rows:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "id": s.id,
                        "name": s.name,
                        "kind": s.kind,
                        "every (s)": s.interval_seconds,
                        "enabled": s.enabled,
                        "params": str(s.params),
                    }
                    for s in rows
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        names: dict[int, str] = {s.id or 0: s.name for s in rows}
        c = list(st.columns([3, 1, 1], vertical_alignment="bottom"))
        picked = c[0].selectbox("Source", list(names), format_func=lambda i: names[i], key="src_pick")
        if c[1].button("Enable", key="src_on") and picked is not None:
            _attempt(lambda: src.set_enabled(picked, True), "Source enabled.")
        if c[2].button("Disable", key="src_off") and picked is not None:
            _attempt(lambda: src.set_enabled(picked, False), "Source disabled.")
    with st.form("add_source", clear_on_submit=False):
        st.markdown("**Add a source**")
        c = list(st.columns(3))
        kind = c[0].selectbox("Kind", [k.value for k in SourceKind])
        name = c[1].text_input("Name")
        minutes = c[2].number_input("Every (minutes)", min_value=1, value=15)
        params = st.text_area("Parameters, one KEY=VALUE per line", placeholder="query=acme")
        if st.form_submit_button("Add source"):
            _attempt(
                lambda: src.add_source(
                    SourceCreate(
                        kind=kind or "feed",
                        name=name.strip(),
                        params=src.parse_params([p for p in params.splitlines() if p.strip()]),
                        interval_seconds=int(minutes) * 60,
                    )
                ),
                f"Source {name} added.",
            )

with watches_tab:
    rows_w = watches.list_watches()
    if rows_w:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "name": w.name,
                        "terms": ", ".join(w.terms),
                        "exclude": ", ".join(w.exclude_terms),
                        "languages": ", ".join(w.languages),
                        "enabled": w.enabled,
                    }
                    for w in rows_w
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    with st.form("add_watch"):
        st.markdown("**Add a watch**")
        name = st.text_input("Name", key="w_name")
        terms = st.text_input("Terms (comma-separated)", key="w_terms")
        exclude = st.text_input("Exclude terms (comma-separated)", key="w_excl")
        langs = st.text_input("Languages (comma-separated, empty = all)", key="w_langs")
        if st.form_submit_button("Add watch"):
            _attempt(
                lambda: watches.add_watch(name, terms.split(","), exclude.split(","), langs.split(",")),
                f"Watch {name} added.",
            )

with channels_tab:
    channels = admin.list_channels()
    if channels:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "id": ch.id,
                        "name": ch.name,
                        "kind": ch.kind,
                        "config": str(ch.config),
                        "quiet hours": ch.quiet_hours or "",
                        "enabled": ch.enabled,
                    }
                    for ch in channels
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    with st.form("add_channel"):
        st.markdown("**Add a channel** (secrets such as tokens stay in the server's settings)")
        c = list(st.columns(3))
        name = c[0].text_input("Name", key="ch_name")
        kind = c[1].selectbox("Kind", admin.CHANNEL_KINDS, key="ch_kind")
        quiet = c[2].text_input("Quiet hours", placeholder="22:00-07:00", key="ch_quiet")
        config = st.text_area("Config (JSON)", placeholder='{"channel": "#care"}', key="ch_config")
        if st.form_submit_button("Add channel"):
            _attempt(
                lambda: admin.add_channel(
                    name,
                    kind or "slack",
                    admin.parse_json_object(config, "config"),
                    quiet_hours=quiet or None,
                ),
                f"Channel {name} added.",
            )

with rules_tab:
    rules = admin.list_rules()
    channel_names: dict[int, str] = {ch.id or 0: ch.name for ch in admin.list_channels()}
    if rules:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "id": r.id,
                        "name": r.name,
                        "channel": channel_names.get(r.channel_id, r.channel_id),
                        "conditions": str(r.conditions),
                        "enabled": r.enabled,
                    }
                    for r in rules
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    if not channel_names:
        st.info("Add a channel first.")
    else:
        with st.form("add_rule"):
            st.markdown("**Add a rule**")
            name = st.text_input("Name", key="r_name")
            channel = st.selectbox(
                "Channel", list(channel_names), format_func=lambda i: channel_names[i], key="r_channel"
            )
            conditions = st.text_area(
                "Conditions (JSON)", placeholder='{"min_severity": "high"}', key="r_cond"
            )
            if st.form_submit_button("Add rule"):
                _attempt(
                    lambda: admin.add_rule(
                        name, int(channel or 0), admin.parse_json_object(conditions, "conditions")
                    ),
                    f"Rule {name} added.",
                )

with users_tab:
    people = users.list_users()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "username": u.username,
                    "name": u.display_name or "",
                    "email": u.email or "",
                    "role": u.role,
                    "active": u.active,
                }
                for u in people
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    with st.form("add_user", clear_on_submit=True):
        st.markdown("**Add a user**")
        c = list(st.columns(4))
        username = c[0].text_input("Username", key="u_name")
        role = c[1].selectbox("Role", [r.value for r in Role], key="u_role")
        email = c[2].text_input("Email (for single sign-on)", key="u_email")
        password = c[3].text_input("Password (8+ characters)", type="password", key="u_pw")
        if st.form_submit_button("Add user"):
            _attempt(
                lambda: users.add_user(username, password, role or "agent", email=email or None),
                f"User {username} added.",
            )
    others = [u.username for u in people if u.username != user.username]
    if others:
        c = list(st.columns([3, 1, 1], vertical_alignment="bottom"))
        who = c[0].selectbox("User", others, key="u_pick")
        if c[1].button("Deactivate", key="u_off") and who:
            _attempt(lambda: admin.set_user_active(who, False), f"{who} can no longer log in.")
        if c[2].button("Reactivate", key="u_on") and who:
            _attempt(lambda: admin.set_user_active(who, True), f"{who} can log in again.")
