"""`bounceback dashboard` is registered and builds the streamlit command line."""

from __future__ import annotations

import subprocess
import sys

from dashboard.commands import APP, streamlit_command


def test_dashboard_command_is_listed_in_the_cli_help():
    result = subprocess.run(
        [sys.executable, "-m", "bounceback", "dashboard", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout


def test_streamlit_command_runs_the_app_on_the_given_port():
    cmd = streamlit_command(8765, "127.0.0.1", headless=True)
    assert cmd[1:5] == ["-m", "streamlit", "run", str(APP)]
    assert cmd[cmd.index("--server.port") + 1] == "8765"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert APP.name == "app.py" and APP.is_file()


def test_bounceback_dashboard_serves_the_app(tmp_path):
    import os
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "BOUNCEBACK_DATA_DIR": str(tmp_path),
        "BOUNCEBACK_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bounceback", "dashboard", "--port", str(port), "--headless"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert proc.poll() is None, "the dashboard exited"
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.2)
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) is not None
