"""All of bounceback's settings in one validated place.

Values come from ``BOUNCEBACK_*`` environment variables, a ``.env`` file, and for every setting a
``BOUNCEBACK_<NAME>_FILE`` variant that names a file holding the value (for secrets mounted as files).
Nothing is read at import time: call :func:`get_settings`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_PREFIX = "BOUNCEBACK_"
SEVERITIES = ("critical", "high", "medium", "low")


class FileVariantSource(PydanticBaseSettingsSource):
    """Reads ``BOUNCEBACK_<NAME>_FILE``: the value is the content of the named file, stripped."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        path = os.environ.get(f"{ENV_PREFIX}{field_name.upper()}_FILE")
        if not path:
            return None, field_name, False
        try:
            return Path(path).read_text(encoding="utf-8").strip(), field_name, False
        except OSError as exc:
            raise ValueError(f"{ENV_PREFIX}{field_name.upper()}_FILE: cannot read {path}: {exc}") from exc

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


class Settings(BaseSettings):
    """bounceback configuration; every field is ``BOUNCEBACK_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # storage
    data_dir: Path = Path("data")
    database_url: str = ""
    db_pool_size: int = Field(default=10, ge=1, le=200)

    # public face
    dashboard_url: str = "http://localhost:8501"
    secret_key: SecretStr = SecretStr("")
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # lifecycle
    claim_ttl_minutes: int = Field(default=120, ge=1)
    sla_minutes: dict[str, int] = Field(
        default_factory=lambda: {"critical": 15, "high": 60, "medium": 240, "low": 1440}
    )
    retention_days: int = Field(default=365, ge=1)

    # crawling
    allow_private_urls: bool = False
    user_agent: str = "bounceback/0.1 (+https://github.com/bounceback/bounceback)"
    contact: str = ""
    crawl_timeout_seconds: int = Field(default=600, ge=5)
    crawl_max_response_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    crawl_max_pages: int = Field(default=10, ge=1)
    crawl_delay_seconds: float = Field(default=1.0, ge=0.0)  # least gap between requests to one host
    crawl_parallel: int = Field(default=2, ge=1, le=32)  # crawls the scheduler runs at once
    bluesky_identifier: str = ""  # handle or e-mail for an app password (searchPosts may need one)
    bluesky_app_password: SecretStr = SecretStr("")
    mastodon_access_token: SecretStr = SecretStr("")  # for instances whose search wants a Bearer token
    mastodon_token_instance: str = ""  # the instance (host[:port]) that issued it: no other host gets it
    deadman_missed_intervals: int = Field(default=3, ge=1)

    # sentiment
    classifier: str = "builtin"
    model_path: str = ""
    model_revision: str = ""  # registry entry (<data_dir>/models) to score with; overrides `model use`
    multilingual_model: str = ""
    hf_label_map: dict[str, str] = Field(default_factory=dict)
    # share of complaints to catch: a model with a flag policy flags at the P(negative) its curve gives
    flag_recall_target: float = Field(default=0.9, gt=0.0, le=1.0)
    # P(negative) at or above which a model without a flag policy (huggingface, vader, older builtin) flags
    negative_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    score_batch_size: int = Field(default=64, ge=1)

    # alerts
    alert_group_window_seconds: int = Field(default=300, ge=0)
    alert_cooldown_seconds: int = Field(default=900, ge=0)
    alert_max_attempts: int = Field(default=8, ge=1)
    smtp_password: SecretStr = SecretStr("")
    slack_bot_token: SecretStr = SecretStr("")
    webhook_secret: SecretStr = SecretStr("")

    # scheduler
    tick_seconds: int = Field(default=60, ge=1)
    lease_seconds: int = Field(default=30, ge=3)
    extra_jobs: str = ""  # "module:callable,…" job factories beside the entry points (tests, local jobs)

    # dashboard
    session_minutes: int = Field(default=480, ge=5)
    queue_refresh_seconds: float = Field(default=15.0, gt=0)  # the queue's live refresh interval

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: init args, environment, ``*_FILE`` variants, ``.env``."""
        assert isinstance(env_settings, EnvSettingsSource)
        return (init_settings, env_settings, FileVariantSource(settings_cls), dotenv_settings)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("sla_minutes")
    @classmethod
    def _every_severity_has_sla(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - set(SEVERITIES)
        if unknown:
            raise ValueError(f"unknown severities {sorted(unknown)}; use {', '.join(SEVERITIES)}")
        if any(minutes <= 0 for minutes in value.values()):
            raise ValueError("SLA minutes must be positive")
        return {**{"critical": 15, "high": 60, "medium": 240, "low": 1440}, **value}

    @field_validator("mastodon_token_instance")
    @classmethod
    def _bare_host(cls, value: str) -> str:
        value = value.strip().lower()
        if "//" in value:
            value = value.split("//", 1)[1]
        return value.split("/", 1)[0]

    @model_validator(mode="after")
    def _token_has_its_instance(self) -> Settings:
        if self.mastodon_access_token.get_secret_value() and not self.mastodon_token_instance:
            raise ValueError(
                f"{ENV_PREFIX}MASTODON_ACCESS_TOKEN is set but {ENV_PREFIX}MASTODON_TOKEN_INSTANCE is not: "
                "name the instance that issued the token (e.g. mastodon.social)"
            )
        return self

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'bounceback.db').as_posix()}"
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the store is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (tests call ``get_settings.cache_clear()``)."""
    return Settings()


def describe_validation_error(exc: Exception) -> str:
    """One line naming the environment variable(s) behind a settings ValidationError."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts = []
    for err in errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        name = f"{ENV_PREFIX}{loc.split('.')[0].upper()}" if loc else "settings"
        parts.append(f"{name}: {err.get('msg', 'invalid')}")
    return "invalid setting " + "; ".join(parts)
