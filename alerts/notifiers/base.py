"""What every notifier provides. One file per channel kind; `alerts.notifiers.NOTIFIERS` lists them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from alerts.errors import DeliveryError
from alerts.message import Notice
from alerts.redact import scrub
from bounceback.errors import InvalidInput
from bounceback.netguard import check_url
from bounceback.settings import Settings

DEFAULT_TIMEOUT = 10.0


class Notifier(ABC):
    """Sends notices to one configured channel; one instance per channel per delivery pass.

    ``config`` is the channel's stored, non-secret configuration; secrets come from `Settings`.
    `send` raises `DeliveryError` with ``permanent`` set when retrying cannot help.
    """

    kind: ClassVar[str]

    def __init__(self, config: dict[str, Any], settings: Settings) -> None:
        self.settings = settings
        self.config = self.validate(config, settings)

    @classmethod
    @abstractmethod
    def validate(cls, config: dict[str, Any], settings: Settings) -> dict[str, Any]:
        """The normalised config, or `InvalidInput` naming what is wrong."""

    @abstractmethod
    def target(self) -> str:
        """Where messages go, safe to show (tokens redacted)."""

    @abstractmethod
    def _send(self, notice: Notice) -> None:
        """Send one notice; raise `DeliveryError` on failure."""

    def secrets(self) -> list[str]:
        """Strings that must never appear in an error message (tokens, passwords, secret URLs)."""
        return []

    def send(self, notice: Notice) -> None:
        """Send ``notice``; every `DeliveryError` leaves with its secrets scrubbed."""
        try:
            self._send(notice)
        except DeliveryError as exc:
            raise DeliveryError(
                scrub(exc.message, self.secrets()), permanent=exc.permanent, retry_after=exc.retry_after
            ) from None

    def close(self) -> None:  # noqa: B027  (optional hook: most notifiers keep no connection)
        """Release connections kept for the pass."""

    @property
    def timeout(self) -> float:
        """Seconds to wait for the receiver."""
        return float(self.config.get("timeout") or DEFAULT_TIMEOUT)


def require(config: dict[str, Any], key: str, kind: str) -> str:
    """``config[key]`` as a non-empty string, or `InvalidInput`."""
    value = str(config.get(key) or "").strip()
    if not value:
        raise InvalidInput(f"a {kind} channel needs {key!r}")
    return value


def guard_url(url: str, settings: Settings) -> str:
    """`check_url` with the configured private-address policy, as a `DeliveryError` when refused."""
    try:
        return check_url(url, allow_private=settings.allow_private_urls)
    except InvalidInput as exc:
        raise DeliveryError(str(exc), permanent=True) from None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    from bounceback.types import utcnow

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def timeout_from(config: dict[str, Any]) -> float:
    """A validated timeout (seconds) from a channel config."""
    try:
        value = float(config.get("timeout") or DEFAULT_TIMEOUT)
    except (TypeError, ValueError):
        raise InvalidInput("timeout must be a number of seconds") from None
    if not 0 < value <= 120:
        raise InvalidInput("timeout must be between 0 and 120 seconds")
    return value
