"""`bounceback demo` (what `make demo` runs): starts every part, and Ctrl-C leaves no process behind."""

import os
import signal
import socket
import subprocess
import sys
import urllib.request

import psutil
import pytest

from tests.service.helpers import REPO, kill_group, wait_for

pytestmark = pytest.mark.slow


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_starts_the_loop_and_sigint_stops_every_process_it_started(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOUNCEBACK_")}
    env["BOUNCEBACK_DATA_DIR"] = str(tmp_path / "data")
    port = _free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bounceback.cli", "demo", "--port", str(port), "--tick", "2"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            lambda: "ready. Ctrl-C stops everything." in log.read_text(), 180, "the demo to be ready", 0.5
        )
        text = log.read_text()
        assert "registered" in text and "sources on it" in text
        assert f"dashboard: http://localhost:{port}   login: demo / northwind-demo" in text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as response:
            assert response.status == 200
        if "MISSING: alerts" not in text:
            inbox = {p.name.split("-")[0] for p in (tmp_path / "data" / "demo-inbox").iterdir()}
            assert inbox == {"email", "webhook"}, "the channels' test messages reached the local sinks"
        started = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in started)
        assert "crawlers.replay" in names and "streamlit" in names and " run --tick 2" in names

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert "stopped everything" in log.read_text()
        alive = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not alive, [p.cmdline() for p in alive]
    finally:
        kill_group(proc)
