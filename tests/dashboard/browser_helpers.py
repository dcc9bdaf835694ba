"""Driving the dashboard in Debian's Chromium (Playwright) against `streamlit run` on a local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bounceback.db import make_engine, session
from bounceback.migrate import upgrade
from bounceback.tables import Mention
from bounceback.types import utcnow
from tests.dashboard.hostile import PAYLOADS
from tests.dashboard.seed import PASSWORD, Seeded, add_hostile, add_users, seed

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "test-output"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
WAIT_MS = 30_000
USERS = {"alice": "agent", "bob": "agent", "carol": "agent", "mary": "marketing", "ada": "admin"}
# The queue refreshes itself every 15 s in production; 1 s here, so a live refresh comes within the wait.
REFRESH_SECONDS = "1"


@dataclass(frozen=True)
class Served:
    """A dashboard serving a seeded SQLite file."""

    url: str
    db_url: str
    data: Seeded
    hostile: list[int] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(tmp: Path) -> Iterator[Served]:
    """Seed a database in ``tmp`` and run `streamlit run dashboard/app.py` on it until the block ends."""
    db_url = f"sqlite:///{tmp / 'bounceback.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    data = seed(engine, users=False)
    add_users(engine, USERS)
    hostile = add_hostile(engine, data.sources["reddit"], PAYLOADS[:6], priority=0.01)
    engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "BOUNCEBACK_DATABASE_URL": db_url,
        "BOUNCEBACK_DATA_DIR": str(tmp),
        "BOUNCEBACK_QUEUE_REFRESH_SECONDS": REFRESH_SECONDS,
    }
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py")]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    command += ["--client.toolbarMode", "viewer"]
    with (tmp / "streamlit.log").open("wb") as log:
        proc = subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, proc, tmp / "streamlit.log")
            yield Served(url, db_url, data, hostile)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Return once the server answers its health check; fail if it exits or takes over a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"streamlit did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


def log_in(
    browser: Any, url: str, username: str, path: str = "", screenshot: str = "", height: int = 1000
) -> Any:
    """A new browser context's page, logged in as ``username`` at ``url/path``."""
    context = browser.new_context(viewport={"width": 1400, "height": height})
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


def get_mention(db_url: str, mention_id: int) -> Mention:
    """The mention as stored now."""
    engine = make_engine(db_url)
    try:
        with session(engine, readonly=True) as sess:
            m = sess.get(Mention, mention_id)
            assert m is not None
            return m
    finally:
        engine.dispose()


def add_mention(db_url: str, source_id: int, key: str, *, severity: str) -> int:
    """Store one open, flagged mention as the pipeline would (the dashboard is not told); its id."""
    now = utcnow()
    engine = make_engine(db_url)
    try:
        with session(engine) as sess:
            m = Mention(
                source_id=source_id,
                external_id=key,
                status="open",
                title=f"Fresh complaint {key}",
                text=f"Fresh complaint {key}: the app lost my basket.",
                sentiment="negative",
                confidence=0.9,
                severity=severity,
                priority=0.99,
                published_at=now,
                fetched_at=now,
                flagged_at=now,
                flag_reasons=["negative 0.90"],
            )
            sess.add(m)
            sess.flush()
            assert m.id is not None
            return m.id
    finally:
        engine.dispose()
