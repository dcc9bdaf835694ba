"""Driving the dashboard through streamlit.testing.v1.AppTest."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.dashboard.seed import PASSWORD

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
TIMEOUT = 60


def open_app() -> AppTest:
    """The app, run once (logged out)."""
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()


def log_in(username: str, password: str = PASSWORD) -> AppTest:
    """The app after logging in through the form."""
    at = open_app()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def markdown_texts(at: AppTest) -> list[str]:
    """Every string the page renders as Markdown (bodies, labels, headings, alerts)."""
    out: list[str] = []
    for kind in (
        "markdown",
        "caption",
        "title",
        "header",
        "subheader",
        "error",
        "warning",
        "info",
        "success",
    ):
        out.extend(str(e.value) for e in getattr(at, kind))
    out.extend(str(e.label) for e in at.expander)
    out.extend(str(b.label) for b in at.button)
    out.extend(str(m.label) for m in at.metric)
    out.extend(str(e.proto.label) for e in at.get("page_link"))
    out.extend(str(e.proto.label) for e in at.get("link_button"))
    return out


UNESCAPED = re.compile(r"(?<!\\)[<>\[\]]|(?<!\\)(?:javascript|data)(?<!\\):|(?<!\\)&(?=#|[a-z]+;)")
OUR_DIRECTIVE = re.compile(r"(?<!\\):[a-z]+(?:-badge)?\[")  # :red[ … ] and :red-badge[ … ] that we write


def _without_our_directives(text: str) -> str:
    opened = len(OUR_DIRECTIVE.findall(text))
    text = OUR_DIRECTIVE.sub("", text)
    closers = len(re.findall(r"(?<!\\)\]", text))
    assert closers == opened, f"unbalanced markup: {text}"
    return re.sub(r"(?<!\\)\]", "", text)


def assert_inert(at: AppTest) -> None:
    """No HTML allowed anywhere, no unescaped markup characters, only http(s) links."""
    assert not at.exception, [e.value for e in at.exception]
    for element in (*at.markdown, *at.caption):
        assert not element.proto.allow_html
    for text in markdown_texts(at):
        assert not UNESCAPED.search(_without_our_directives(text.replace("\\\\", ""))), text
    for link in at.get("link_button"):
        assert link.proto.url.startswith(("http://", "https://")), link.proto.url
