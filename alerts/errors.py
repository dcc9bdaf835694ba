"""The one error a notifier raises: it knows whether retrying can help."""

from __future__ import annotations


class DeliveryError(Exception):
    """Sending failed. ``permanent``: retrying cannot help (404 webhook, SMTP 535, bad address).

    ``retry_after`` (seconds) is the receiver's own wish (HTTP ``Retry-After``, Slack 429), honoured
    by the outbox in place of its backoff. The message never contains a secret: notifiers scrub it.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message
