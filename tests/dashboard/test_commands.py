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
