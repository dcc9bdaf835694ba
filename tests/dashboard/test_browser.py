"""The dashboard in Debian's Chromium (Playwright) against `streamlit run` on a seeded SQLite file."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bounceback.db import make_engine, session
from bounceback.migrate import upgrade
from bounceback.tables import Activity, Mention
from tests.dashboard.hostile import PAYLOADS
from tests.dashboard.seed import PASSWORD, Seeded, add_hostile, add_users, seed

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "test-output"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
WAIT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Seeded, list[int]]]:
    """A seeded SQLite database and the dashboard serving it; yields (url, db url, seed, hostile ids)."""
    tmp = tmp_path_factory.mktemp("browser")
    db_url = f"sqlite:///{tmp / 'bounceback.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    data = seed(engine, users=False)
    add_users(engine, {"alice": "agent", "bob": "agent", "carol": "agent", "mary": "marketing"})
    hostile = add_hostile(engine, data.sources["reddit"], PAYLOADS[:6], priority=0.01)
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "BOUNCEBACK_DATABASE_URL": db_url, "BOUNCEBACK_DATA_DIR": str(tmp)}
    log = (tmp / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO / "dashboard" / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            "--client.toolbarMode",
            "viewer",
        ],
        cwd=tmp,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(
                f"streamlit did not start: {proc.stdout.read().decode() if proc.stdout else ''}"
            )
        time.sleep(0.2)
    try:
        yield url, db_url, data, hostile
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _log_in(browser, url: str, username: str, path: str = "", screenshot: str = ""):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{url}/{path}")
    page.get_by_role("button", name="Log in").wait_for()
    page.get_by_role("textbox", name="Password").wait_for()
    if screenshot:
        from playwright.sync_api import expect

        # Logged out, the page holds the login form and nothing else: no menu, no data, no alert.
        expect(page.locator("[data-testid='stMain'] input")).to_have_count(2)
        expect(page.locator("[data-testid='stSidebar'], [data-testid='stAlert']")).to_have_count(0)
        OUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUT / screenshot))
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return page


def _claim_button(page, mention_id: int):
    return page.locator(f".st-key-row-{mention_id}").get_by_role("button", name="Claim")


def _mention(db_url: str, mention_id: int) -> Mention:
    engine = make_engine(db_url)
    try:
        with session(engine, readonly=True) as sess:
            m = sess.get(Mention, mention_id)
            assert m is not None
            return m
    finally:
        engine.dispose()


def test_agent_logs_in_claims_and_resolves(server, browser):
    url, db_url, data, _ = server
    page = _log_in(browser, url, "alice", screenshot="login.png")
    page.get_by_role("heading", name="Queue").wait_for()
    urgent = data.mentions["urgent"]
    _claim_button(page, urgent).wait_for()
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / "queue.png"), full_page=True)
    _claim_button(page, urgent).click()
    page.get_by_text("You hold this item").wait_for()
    page.wait_for_url(re.compile(rf"/item\?id={urgent}$"))
    page.get_by_text("I was charged twice for order 1234").wait_for()
    page.get_by_text("Earlier resolutions").wait_for()  # the author's card, last to render
    page.screenshot(path=str(OUT / "item.png"), full_page=True)
    page.get_by_role("tab", name="Resolve").click()
    page.get_by_text("Fixed the problem").click()
    page.get_by_label("What was done").fill("Refunded the second charge")
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.get_by_text("Resolved: fixed.").wait_for()
    m = _mention(db_url, urgent)
    assert (m.status, m.outcome, m.resolved_by) == ("resolved", "fixed", "alice")
    page.context.close()


def test_two_agents_race_for_one_item_and_exactly_one_wins(server, browser):
    url, db_url, data, _ = server
    target = data.mentions["breached"]
    pages = {name: _log_in(browser, url, name) for name in ("bob", "carol")}
    for page in pages.values():
        _claim_button(page, target).wait_for()
    for page in pages.values():  # both clicks leave before either claim is answered
        _claim_button(page, target).click(no_wait_after=True)
    deadline = time.monotonic() + WAIT_MS / 1000
    while not any("/item" in page.url for page in pages.values()):
        assert time.monotonic() < deadline, "nobody got the item"
        next(iter(pages.values())).wait_for_timeout(100)
    holder = _mention(db_url, target).claimed_by
    assert holder in pages
    loser = next(name for name in pages if name != holder)
    pages[holder].get_by_text("You hold this item").wait_for()
    pages[loser].get_by_text(f"Already claimed by {holder}").wait_for()
    assert "/item" not in pages[loser].url
    engine = make_engine(db_url)
    with session(engine, readonly=True) as sess:
        claims = sess.execute(
            select(Activity.actor).where(Activity.mention_id == target, Activity.action == "claimed")
        ).all()
    engine.dispose()
    assert [c.actor for c in claims] == [holder]
    for page in pages.values():
        page.context.close()


def test_trends_page_draws_charts_for_marketing(server, browser):
    url, _, _, _ = server
    page = _log_in(browser, url, "mary")
    page.get_by_role("heading", name="Trends").wait_for()
    page.get_by_text("Recovery rate").wait_for()
    page.locator(
        "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
    ).first.wait_for()
    assert page.get_by_role("link", name="Queue").count() == 0
    page.wait_for_timeout(500)  # let Vega finish drawing before the picture (no assertion depends on it)
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / "trends.png"), full_page=True)
    page.context.close()


def test_hostile_text_stays_text_in_the_browser(server, browser):
    url, _, _, hostile = server
    page = _log_in(browser, url, "alice", path=f"item?id={hostile[1]}")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.get_by_text("Why flagged").wait_for()
    body = page.locator("[data-testid='stMain']")
    assert PAYLOADS[1] in body.inner_text()  # <img src=x onerror=alert(1)> shown as characters
    assert page.locator("img[onerror], script:not([src]):has-text('alert'), svg[onload]").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert dialogs == []
    page.context.close()
