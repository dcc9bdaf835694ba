"""Notifiers, one module per channel kind, and the registry that names them.

Adding a channel kind = one new module here, its test, and one line in `NOTIFIERS`. Modules are
imported only when a channel of that kind is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bounceback.plugins import load_registered

if TYPE_CHECKING:
    from alerts.notifiers.base import Notifier

NOTIFIERS: dict[str, str] = {
    "slack": "alerts.notifiers.slack:SlackNotifier",
    "email": "alerts.notifiers.email:EmailNotifier",
    "webhook": "alerts.notifiers.webhook:WebhookNotifier",
    "apprise": "alerts.notifiers.apprise:AppriseNotifier",
}


def notifier_class(kind: str) -> type[Notifier]:
    """The notifier class for ``kind`` (imported on first use), or `InvalidInput` listing the kinds."""
    cls: type[Notifier] = load_registered(NOTIFIERS, kind, "channel kind")
    return cls
