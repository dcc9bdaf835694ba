import pytest
from pydantic import ValidationError

from bounceback.settings import Settings, describe_validation_error


def test_default_database_is_sqlite_in_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("BOUNCEBACK_DATABASE_URL", raising=False)
    monkeypatch.setenv("BOUNCEBACK_DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None)
    assert settings.database_url == f"sqlite:///{tmp_path}/bounceback.db"
    assert settings.is_sqlite


def test_postgres_urls_use_psycopg3(monkeypatch):
    monkeypatch.setenv("BOUNCEBACK_DATABASE_URL", "postgres://u@db/x")
    assert Settings(_env_file=None).database_url == "postgresql+psycopg://u@db/x"


def test_secret_can_come_from_a_file_and_is_never_printed(monkeypatch, tmp_path):
    secret = tmp_path / "smtp"
    secret.write_text("hunter2-secret\n")
    monkeypatch.setenv("BOUNCEBACK_SMTP_PASSWORD_FILE", str(secret))
    settings = Settings(_env_file=None)
    assert settings.smtp_password.get_secret_value() == "hunter2-secret"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())


def test_env_value_beats_file_variant(monkeypatch, tmp_path):
    secret = tmp_path / "s"
    secret.write_text("from-file")
    monkeypatch.setenv("BOUNCEBACK_WEBHOOK_SECRET_FILE", str(secret))
    monkeypatch.setenv("BOUNCEBACK_WEBHOOK_SECRET", "from-env")
    assert Settings(_env_file=None).webhook_secret.get_secret_value() == "from-env"


def test_dotenv_file_is_read(monkeypatch, tmp_path):
    env = tmp_path / ".env"
    env.write_text("BOUNCEBACK_RETENTION_DAYS=30\n")
    monkeypatch.delenv("BOUNCEBACK_RETENTION_DAYS", raising=False)
    assert Settings(_env_file=env).retention_days == 30


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOUNCEBACK_DATABASE_URL", "mysql://x"),
        ("BOUNCEBACK_SLA_MINUTES", '{"urgent": 5}'),
        ("BOUNCEBACK_LOG_FORMAT", "xml"),
        ("BOUNCEBACK_CLAIM_TTL_MINUTES", "0"),
    ],
)
def test_invalid_setting_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    assert name in describe_validation_error(info.value)
