"""`bounceback demo` (what `make demo` runs): the whole loop on this machine, with nothing external.

It migrates the database in the data directory, starts the crawler stage's replay server
(``python -m crawlers.replay``) and registers the sources it lists at ``/demo/sources.json``, adds a
watch and a demo user, starts a local SMTP sink and webhook receiver (alerts land in
``<data dir>/demo-inbox/`` and are announced on the console), adds an email and a webhook channel
through the alerts stage's ``bounceback channel add``, then runs the scheduler (``bounceback run``)
on a fast tick and the dashboard (Streamlit). Every stage is started by module path in its own
process group; one that is not installed is reported as missing, never imitated. Ctrl-C or SIGTERM
stops everything it started, children of children included.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path
from types import FrameType
from typing import IO, Any

import psutil
from sqlalchemy import func, select, update
from sqlmodel import col

from bounceback.db import get_engine, session
from bounceback.demo_sinks import Inbox, SmtpSink, WebhookSink
from bounceback.migrate import upgrade
from bounceback.plugins import JOBS_GROUP
from bounceback.settings import get_settings
from bounceback.sources import add_source
from bounceback.tables import Alert, Channel, Mention, Source, SourceCreate, User, Watch
from bounceback.users import add_user
from bounceback.watches import add_watch

DEMO_USER = "demo"
DEMO_PASSWORD = "northwind-demo"  # noqa: S105 (a local demo on loopback; printed on purpose)
DEMO_SOURCE_INTERVAL = 60
STOP_GRACE_SECONDS = 20.0  # more than the scheduler needs to stop its jobs (grace + 5 s)


@dataclass
class DemoOptions:
    """What `bounceback demo` was asked for."""

    tick: int = 5
    dashboard_port: int = 8501
    dashboard: bool = True
    mentions: int = 300
    speed: float = 6.0
    duration: float | None = None  # stop by itself after this many seconds (tests)
    summary_every: float = 30.0


@dataclass
class Child:
    """A process the demo started (in its own process group)."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    reported_exit: bool = False


@dataclass
class Demo:
    """Starts, watches and stops every part of the demo."""

    options: DemoOptions
    data_dir: Path
    children: list[Child] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    _sinks: list[Any] = field(default_factory=list)

    def say(self, text: str) -> None:
        """One line on the console."""
        print(f"[demo] {text}", flush=True)

    # --- processes -----------------------------------------------------------------------------

    def start(self, name: str, argv: list[str]) -> Child:
        """Start ``argv`` in its own process group, output to ``demo-logs/<name>.log``."""
        logs = self.data_dir / "demo-logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{name}.log"
        out: IO[bytes] = log.open("ab")
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def stop_all(self) -> None:
        """Stop every child (newest first): SIGTERM to its group, SIGKILL after a grace; then the sinks."""
        doomed: list[psutil.Process] = []
        for child in reversed(self.children):
            with contextlib.suppress(psutil.Error):
                doomed += psutil.Process(child.proc.pid).children(recursive=True)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children:
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} did not stop in {STOP_GRACE_SECONDS:.0f}s: killing it")
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.proc.pid, signal.SIGKILL)
            child.proc.wait()
        for proc in doomed:  # descendants that left the group (their own sessions)
            with contextlib.suppress(psutil.Error):
                proc.kill()
        for sink in self._sinks:
            sink.stop()
        left = [p for p in psutil.Process().children(recursive=True) if p.is_running()]
        left = [p for p in left if p.status() != psutil.STATUS_ZOMBIE]
        self.say("stopped everything" if not left else f"still running: {[p.pid for p in left]}")

    # --- set-up --------------------------------------------------------------------------------

    def check_stages(self) -> None:
        """Report every stage whose scheduled jobs cannot be loaded (they will not run)."""
        for ep in sorted(entry_points(group=JOBS_GROUP), key=lambda e: e.name):
            try:
                ep.load()
            except Exception as exc:
                self.missing.append(f"{ep.name} stage jobs ({ep.value}): {exc}")

    def start_replay(self) -> str | None:
        """The replay server's base URL, or None (reported missing) when the crawler stage is absent."""
        argv = [sys.executable, "-m", "crawlers.replay", "--port", "0"]
        argv += ["--mentions", str(self.options.mentions), "--speed", str(self.options.speed)]
        child = self.start("replay", argv)
        url = _wait_for_line(child, re.compile(r"https?://127\.0\.0\.1:\d+"), 60)
        if url is None:
            self.missing.append(f"crawler replay server (python -m crawlers.replay): {_tail(child.log)}")
        return url

    def register_sources(self, base_url: str) -> int:
        """Add (or re-point) the sources the replay server lists; returns how many."""
        with urllib.request.urlopen(f"{base_url}/demo/sources.json", timeout=10) as response:  # noqa: S310
            listed = json.load(response)
        with session(readonly=True) as sess:
            existing = {s.name for s in sess.execute(select(Source)).scalars()}
        for item in listed:
            item = {**item, "interval_seconds": DEMO_SOURCE_INTERVAL}
            if item["name"] in existing:
                with session() as sess:
                    sess.execute(
                        update(Source)
                        .where(col(Source.name) == item["name"])
                        .values(params=item["params"], enabled=True, interval_seconds=DEMO_SOURCE_INTERVAL)
                    )
            else:
                add_source(SourceCreate(**item))
        return len(listed)

    def add_watch_and_user(self) -> None:
        """The brand to listen for and the person who logs in (both kept across demo runs)."""
        with session(readonly=True) as sess:
            has_watch = sess.execute(select(func.count()).select_from(Watch)).scalar_one()
            has_user = sess.execute(select(col(User.id)).where(col(User.username) == DEMO_USER)).first()
        if not has_watch:
            add_watch(
                "northwind",
                ["Northwind Coffee", "Northwind", "@northwindcoffee"],
                ["Northwind Traders", "Northwind Sailing"],
            )
        if not has_user:
            add_user(DEMO_USER, DEMO_PASSWORD, "supervisor", display_name="Demo Supervisor")

    def start_sinks(self) -> tuple[SmtpSink, WebhookSink]:
        """The SMTP sink and the webhook receiver, writing to the demo inbox."""
        inbox = Inbox(self.data_dir / "demo-inbox")
        smtp = SmtpSink(inbox, lambda text: self.say(f"ALERT RECEIVED {text}")).start()
        hook = WebhookSink(inbox, lambda text: self.say(f"ALERT RECEIVED {text}")).start()
        self._sinks += [smtp, hook]
        return smtp, hook

    def add_channels(self, smtp: SmtpSink, hook: WebhookSink) -> None:
        """Email and webhook channels through the alerts stage's CLI (re-pointed if they exist)."""
        email_args = ["--kind", "email", "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port)]
        email_args += [
            "--security",
            "none",
            "--sender",
            "bounceback@demo.localhost",
            "--to",
            "care@demo.localhost",
        ]
        wanted: dict[str, tuple[dict[str, Any], list[str]]] = {
            "demo-email": ({"host": "127.0.0.1", "port": smtp.port, "security": "none"}, email_args),
            "demo-webhook": ({"url": hook.url}, ["--kind", "webhook", "--url", hook.url]),
        }
        with session(readonly=True) as sess:
            existing = {c.name: c for c in sess.execute(select(Channel)).scalars()}
        for name, (config, args) in wanted.items():
            if name in existing:
                with session() as sess:
                    merged = {**existing[name].config, **config}
                    sess.execute(update(Channel).where(col(Channel.name) == name).values(config=merged))
                continue
            if not self._cli("channel", "add", name, *args):
                continue
            if name == "demo-webhook":  # the first channel (email) got the default rules; this one too
                self._cli("rule", "add", "webhook-high-severity", "--channel", name, "--min-severity", "high")
                self._cli("rule", "add", "webhook-new-incident", "--channel", name, "--event", "incident")

    def _cli(self, *args: str) -> bool:
        """Run a `bounceback` command of a stage; a failure is reported as missing."""
        argv = [sys.executable, "-m", "bounceback.cli", *args]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["?"])[-1]
            self.missing.append(f"alerts: `bounceback {' '.join(args[:3])}` failed: {reason}")
        return result.returncode == 0

    def start_dashboard(self) -> str | None:
        """Streamlit on the dashboard port; its URL, or None (reported missing)."""
        spec = find_spec("dashboard")  # locates the package directory; imports nothing
        locations = list(spec.submodule_search_locations or []) if spec else []
        app = Path(locations[0]) / "app.py" if locations else None
        if app is None or not app.is_file():
            self.missing.append("dashboard (dashboard/app.py not found)")
            return None
        port = self.options.dashboard_port
        argv = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port)]
        argv += ["--server.address", "127.0.0.1", "--server.headless", "true"]
        argv += ["--browser.gatherUsageStats", "false"]
        child = self.start("dashboard", argv)
        url = f"http://localhost:{port}"
        if not _wait_http(f"http://127.0.0.1:{port}/_stcore/health", child, 90):
            self.missing.append(f"dashboard (streamlit did not answer on {url}): {_tail(child.log)}")
            return None
        return url

    # --- the run -------------------------------------------------------------------------------

    def summary(self) -> str:
        """One line of counts from the database."""
        with get_engine().connect() as conn:
            rows = conn.execute(select(col(Mention.status), func.count()).group_by(col(Mention.status))).all()
            statuses: dict[str, int] = {str(status): int(n) for status, n in rows}
            sent = conn.execute(select(func.count()).where(col(Alert.status) == "sent")).scalar_one()
        total = sum(statuses.values())
        flagged = sum(statuses.get(s, 0) for s in ("open", "claimed", "escalated", "reopened"))
        return (
            f"mentions {total} (new {statuses.get('new', 0)}, on the queue {flagged}, "
            f"resolved {statuses.get('resolved', 0)}) · alerts sent {sent}"
        )

    def watch_children(self) -> None:
        """Say when a part stops by itself."""
        for child in self.children:
            code = child.proc.poll()
            if code is not None and not child.reported_exit:
                child.reported_exit = True
                self.say(f"{child.name} exited with status {code}: {_tail(child.log)} (log: {child.log})")


def _tail(log: Path, lines: int = 1) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no output"
    return " / ".join(text[-lines:]) if text else "no output"


def _wait_for_line(child: Child, pattern: re.Pattern[str], timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = pattern.search(child.log.read_text(errors="replace")) if child.log.exists() else None
        if match:
            return match.group(0)
        if child.proc.poll() is not None:
            return None
        time.sleep(0.2)
    return None


def _wait_http(url: str, child: Child, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def run_demo(options: DemoOptions) -> int:
    """Run the demo until Ctrl-C / SIGTERM (or ``options.duration``); returns the exit status."""
    os.environ["BOUNCEBACK_ALLOW_PRIVATE_URLS"] = "true"  # everything is on loopback
    os.environ["BOUNCEBACK_TICK_SECONDS"] = str(options.tick)
    os.environ["BOUNCEBACK_DATA_DIR"] = str(get_settings().data_dir.resolve())  # same for every child
    get_settings.cache_clear()
    settings = get_settings()
    os.environ["BOUNCEBACK_DATABASE_URL"] = settings.database_url
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    demo = Demo(options, settings.data_dir.resolve())

    def _handler(signum: int, _frame: FrameType | None) -> None:
        demo.stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    try:
        upgrade(get_engine())
        demo.say(f"database ready: {get_engine().url.render_as_string()}")
        demo.check_stages()
        demo.add_watch_and_user()
        base_url = demo.start_replay()
        if base_url:
            demo.say(f"replay server (sample Northwind Coffee mentions): {base_url}")
            demo.say(f"registered {demo.register_sources(base_url)} sources on it")
        smtp, hook = demo.start_sinks()
        demo.say(f"SMTP sink on 127.0.0.1:{smtp.port}, webhook receiver on {hook.url}")
        demo.say(f"received alerts are saved in {demo.data_dir / 'demo-inbox'}")
        demo.add_channels(smtp, hook)
        demo.start(
            "scheduler",
            [sys.executable, "-m", "bounceback.cli", "run", "--tick", str(options.tick), "--grace", "3"],
        )
        demo.say(
            f"scheduler running every {options.tick}s (log: {demo.data_dir / 'demo-logs' / 'scheduler.log'})"
        )
        url = demo.start_dashboard() if options.dashboard else None
        for line in demo.missing:
            demo.say(f"MISSING: {line}")
        if url:
            demo.say(f"dashboard: {url}   login: {DEMO_USER} / {DEMO_PASSWORD}")
        demo.say("ready. Ctrl-C stops everything.")
        started = time.monotonic()
        next_summary = started + options.summary_every
        while not demo.stop.wait(1.0):
            demo.watch_children()
            if time.monotonic() >= next_summary:
                next_summary += options.summary_every
                demo.say(demo.summary())
            if options.duration is not None and time.monotonic() - started >= options.duration:
                break
        demo.say(demo.summary())
    finally:
        demo.say("stopping…")
        demo.stop_all()
    return 0
