"""Who may see what: login (local users, or OpenID Connect via st.login), session expiry, page roles."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import streamlit as st
from sqlalchemy import Engine, func, or_, select
from sqlmodel import col

from bounceback.db import session
from bounceback.settings import get_settings
from bounceback.tables import User
from bounceback.types import Role, utcnow
from bounceback.users import authenticate

SESSION_KEY = "bb_user"
STAFF = frozenset({Role.agent, Role.supervisor, Role.admin})
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "queue": STAFF,
    "item": STAFF,
    "incidents": STAFF,
    "sources": STAFF,
    "trends": frozenset({Role.marketing, Role.supervisor, Role.admin}),
    "settings": frozenset({Role.admin}),
}
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionUser:
    """The person logged in to this browser session."""

    username: str
    role: Role
    display_name: str
    logged_in_at: datetime
    via: str = "password"

    def expires_at(self, minutes: int) -> datetime:
        """When this session ends (``minutes`` after logging in)."""
        return self.logged_in_at + timedelta(minutes=minutes)


def can_open(role: Role | str, page: str) -> bool:
    """Whether ``role`` may open ``page``."""
    try:
        return Role(role) in PAGE_ROLES.get(page, frozenset())
    except ValueError:
        return False


def pages_for(role: Role | str) -> list[str]:
    """The pages ``role`` may open, in menu order."""
    return [page for page in PAGE_ROLES if can_open(role, page)]


def _session_user(user: User, via: str, now: datetime | None = None) -> SessionUser:
    return SessionUser(
        username=user.username,
        role=Role(user.role),
        display_name=user.display_name or user.username,
        logged_in_at=now or utcnow(),
        via=via,
    )


def password_login(username: str, password: str, *, engine: Engine | None = None) -> SessionUser | None:
    """The session for these credentials, or None (unknown user, wrong password, inactive)."""
    user = authenticate(username.strip(), password, engine=engine)
    return None if user is None else _session_user(user, "password")


def oidc_login(email: str, *, engine: Engine | None = None) -> SessionUser | None:
    """The session for an identity the OpenID provider vouched for: an active user with that email."""
    if not email:
        return None
    with session(engine, readonly=True) as sess:
        user = (
            sess.execute(
                select(User).where(
                    or_(func.lower(col(User.email)) == email.lower(), col(User.username) == email),
                    col(User.active).is_(True),
                )
            )
            .scalars()
            .first()
        )
    return None if user is None else _session_user(user, "oidc")


def current_role(username: str, *, engine: Engine | None = None) -> Role | None:
    """The user's role now, or None when the account is gone or deactivated."""
    with session(engine, readonly=True) as sess:
        row = sess.execute(
            select(col(User.role)).where(col(User.username) == username, col(User.active).is_(True))
        ).first()
    return None if row is None else Role(row[0])


def is_expired(user: SessionUser, now: datetime, minutes: int) -> bool:
    """True once the session is older than ``minutes``."""
    return now >= user.expires_at(minutes)


# --- Streamlit glue -------------------------------------------------------------------------------


def oidc_configured() -> bool:
    """True when secrets.toml has an [auth] section (then st.login is offered)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_user() -> SessionUser | None:
    """The logged-in user of this session, or None; ends expired sessions."""
    user: SessionUser | None = st.session_state.get(SESSION_KEY)
    if user is None and oidc_configured() and _oidc_logged_in():
        user = oidc_login(str(st.user.get("email") or ""))
        if user is None:
            st.session_state["bb_login_error"] = "Your account is not a bounceback user; ask an admin."
            st.logout()
        else:
            st.session_state[SESSION_KEY] = user
    if user is not None and is_expired(user, utcnow(), get_settings().session_minutes):
        logout(reason="Your session expired; please log in again.")
        return None
    if user is not None:
        role = current_role(user.username)
        if role is None:
            logout(reason="Your account was deactivated.")
            return None
        if role != user.role:  # an admin changed it: the menu follows on this run
            user = replace(user, role=role)
            st.session_state[SESSION_KEY] = user
    return user


def _oidc_logged_in() -> bool:
    try:
        return bool(st.user.get("is_logged_in"))
    except Exception:
        return False


def logout(reason: str | None = None) -> None:
    """End the session (and the OpenID one, if any)."""
    user: SessionUser | None = st.session_state.get(SESSION_KEY)
    for key in list(st.session_state.keys()):
        if not str(key).startswith("$$"):  # Streamlit's (and AppTest's) internal keys stay
            del st.session_state[key]
    if reason:
        st.session_state["bb_login_error"] = reason
    if user is not None and user.via == "oidc":
        st.logout()


def login_page() -> None:
    """The only thing a logged-out visitor sees."""
    _, middle, _ = st.columns([1, 1.2, 1])
    with middle:
        st.title("bounceback")
        st.caption("Notice complaints early, recover the customer.")
        message = st.session_state.pop("bb_login_error", None)
        if message:
            st.warning(message)
        failures: list[datetime] = [
            t for t in st.session_state.get("bb_failures", []) if utcnow() - t < LOCKOUT
        ]
        with st.form("login", border=True):
            username = st.text_input("Username", key="login_username", autocomplete="username")
            password = st.text_input("Password", type="password", key="login_password")
            submitted = st.form_submit_button("Log in", type="primary", width="stretch")
        if submitted:
            if len(failures) >= MAX_FAILED_LOGINS:
                st.error("Too many failed attempts; wait a minute and try again.")
            else:
                user = password_login(username, password) if username and password else None
                if user is None:
                    st.session_state["bb_failures"] = [*failures, utcnow()]
                    st.error("Unknown user or wrong password.")
                else:
                    st.session_state[SESSION_KEY] = user
                    st.session_state.pop("bb_failures", None)
                    st.rerun()
        if oidc_configured():
            st.button("Log in with single sign-on", on_click=_start_oidc, width="stretch")


def _start_oidc() -> None:
    st.login()


def require(page: str) -> SessionUser:
    """The current user if they may open ``page``; otherwise say so and stop the page."""
    user = current_user()
    if user is None:
        st.stop()
    assert user is not None
    if not can_open(user.role, page):
        st.error("You don't have access to this page.")
        st.stop()
    return user


def state(key: str, default: Any) -> Any:
    """``st.session_state[key]``, set to ``default`` the first time."""
    if key not in st.session_state:
        st.session_state[key] = default
    return st.session_state[key]
