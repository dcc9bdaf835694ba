"""Running the real score job under test settings."""

from typing import Any

from bounceback.settings import get_settings
from sentiment.service import run_score_job


def score_job(monkeypatch: Any, **env: str) -> dict[str, int]:
    """The score job with ``env`` set (and no multilingual model unless ``env`` names one)."""
    monkeypatch.delenv("BOUNCEBACK_MULTILINGUAL_MODEL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return run_score_job()
