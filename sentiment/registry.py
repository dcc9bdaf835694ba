"""Backend names → classes (imported lazily), and loading the configured one with a loud fallback."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from sentiment.base import Classifier, ModelUnavailable

log = logging.getLogger(__name__)

BACKENDS: dict[str, str] = {
    "builtin": "sentiment.builtin:BuiltinClassifier",
    "huggingface": "sentiment.huggingface:HuggingFaceClassifier",
    "vader": "sentiment.vader:VaderClassifier",
}


def backend_class(name: str) -> Any:
    """The class registered under ``name``; ValueError lists the known names."""
    try:
        module, _, attr = BACKENDS[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown classifier {name!r}; choose one of {', '.join(BACKENDS)}") from None
    return getattr(importlib.import_module(module), attr)


def build(name: str, model_path: str = "", label_map: dict[str, str] | None = None) -> Classifier:
    """Construct one backend; raises ModelUnavailable when its model cannot load."""
    cls = backend_class(name)
    if name == "huggingface":
        return cls(model_path, label_map)
    if name == "builtin":
        return cls(model_path or None)
    return cls()


def load_classifier(settings: Any, *, fallback: bool = True) -> Classifier:
    """The classifier the settings name; if it cannot load, VADER, with an ERROR log saying why."""
    name = str(settings.classifier)
    try:
        if name == "builtin" and not settings.model_path:
            from sentiment.model_store import load_active

            return load_active(settings)  # the registry's active entry (the packaged model by default)
        return build(name, settings.model_path, dict(settings.hf_label_map))
    except (ModelUnavailable, ImportError, OSError) as exc:
        if not fallback or name == "vader":
            raise
        log.error(
            "sentiment model %r cannot load (%s); FALLING BACK TO VADER: scores will be lexicon-based "
            "until this is fixed",
            name,
            exc,
        )
        return build("vader")


def load_multilingual(settings: Any) -> Classifier | None:
    """The multilingual huggingface model, when ``BOUNCEBACK_MULTILINGUAL_MODEL`` names one."""
    if not settings.multilingual_model:
        return None
    return build("huggingface", settings.multilingual_model, dict(settings.hf_label_map))
