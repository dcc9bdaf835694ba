"""The import rules of DESIGN.md, and that our packages are the ones imported."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("package", ["bounceback", "crawlers", "sentiment", "alerts", "dashboard"])
def test_package_is_imported_from_this_repo(package):
    module = importlib.import_module(package)
    assert Path(module.__file__).resolve().is_relative_to(REPO)


def test_kernel_names_no_stage_anywhere():
    stages = ("crawlers", "sentiment", "alerts", "dashboard")
    for path in (REPO / "bounceback").rglob("*.py"):
        for line in path.read_text().splitlines():
            words = line.strip().split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1:
                assert words[1].split(".")[0] not in stages, f"{path}: {line}"
