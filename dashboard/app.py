"""bounceback dashboard: `streamlit run dashboard/app.py` (or `bounceback dashboard`).

The router: logged out, only the login form exists; logged in, st.navigation offers the pages the
user's role may open, with the data-health banner on every page.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts dashboard/ first on sys.path; import our modules as `dashboard.x` from the repo.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from bounceback.settings import get_settings  # noqa: E402
from dashboard import access, ui  # noqa: E402

PAGES = {
    "queue": ("views/queue.py", "Queue", ":material/inbox:"),
    "item": ("views/item.py", "Item", ":material/chat:"),
    "incidents": ("views/incidents.py", "Incidents", ":material/crisis_alert:"),
    "trends": ("views/trends.py", "Trends", ":material/trending_up:"),
    "sources": ("views/sources.py", "Sources", ":material/rss_feed:"),
    "settings": ("views/settings.py", "Settings", ":material/settings:"),
}


def main() -> None:
    """Route the request: login form, or the pages of the user's role."""
    st.set_page_config(page_title="bounceback", page_icon=":material/undo:", layout="wide")
    user = access.current_user()
    if user is None:
        # Every address shows the login form, so a deep link (or an expired session on /item?id=7)
        # lands on the form and, once logged in, on the page it asked for.
        login = [st.Page(access.login_page, title="Log in", url_path="login", default=True)]
        login += [
            st.Page(access.login_page, title="Log in", url_path=name, visibility="hidden") for name in PAGES
        ]
        st.navigation(login, position="hidden").run()
        return
    allowed = access.pages_for(user.role)
    pages = [
        st.Page(
            PAGES[name][0],
            title=PAGES[name][1],
            icon=PAGES[name][2],
            url_path=name,
            default=name == allowed[0],
            visibility="hidden" if name == "item" else "visible",
        )
        for name in allowed
    ]
    nav = st.navigation(pages)
    ui.sidebar(user, get_settings().session_minutes)
    ui.data_banner(user)
    nav.run()


main()
