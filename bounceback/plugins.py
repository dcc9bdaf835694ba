"""Discovery of what the stages plug into the kernel, through entry points.

``bounceback.commands``: each entry point is a callable ``register(subparsers)`` adding CLI commands.
``bounceback.jobs``: each entry point is a callable returning a list of `JobSpec` for the scheduler.
The kernel never imports a stage by name: it only loads what is declared.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from bounceback.errors import InvalidInput

log = logging.getLogger(__name__)
COMMANDS_GROUP = "bounceback.commands"
JOBS_GROUP = "bounceback.jobs"


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: run ``func`` every ``interval_seconds`` (or ``module`` as a subprocess)."""

    name: str
    interval_seconds: float
    func: Callable[..., dict[str, Any] | None] | None = None
    module: str | None = None
    args: tuple[str, ...] = ()
    timeout_seconds: float | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


def _entry_points(group: str) -> list[EntryPoint]:
    return sorted(entry_points(group=group), key=lambda ep: ep.name)


def register_commands(subparsers: argparse._SubParsersAction[Any]) -> list[str]:
    """Let every installed stage add its subcommands; returns the plugin names loaded."""
    loaded = []
    for ep in _entry_points(COMMANDS_GROUP):
        try:
            register = ep.load()
        except ModuleNotFoundError as exc:
            log.debug("command plugin %s not available: %s", ep.name, exc)
            continue
        except Exception as exc:  # a broken plugin must not take the whole CLI down
            log.error("cannot load command plugin %s (%s): %s", ep.name, ep.value, exc)
            continue
        register(subparsers)
        loaded.append(ep.name)
    return loaded


def discover_jobs(settings: Any) -> list[JobSpec]:
    """Every job the installed stages declare, given the settings, plus ``settings.extra_jobs``."""
    jobs: list[JobSpec] = []
    for ep in _entry_points(JOBS_GROUP):
        try:
            factory = ep.load()
        except Exception as exc:  # a stage that is not installed or broken: say so, run the rest
            log.error("cannot load job plugin %s (%s): %s", ep.name, ep.value, exc)
            continue
        jobs.extend(factory(settings))
    for ref in filter(None, (r.strip() for r in str(getattr(settings, "extra_jobs", "")).split(","))):
        module, _, attr = ref.partition(":")
        jobs.extend(getattr(importlib.import_module(module), attr or "jobs")(settings))
    return jobs


def load_registered(registry: Mapping[str, str], kind: str, what: str) -> Any:
    """The object ``registry[kind]`` names as ``"module:attr"``, importing its module only now.

    An unknown ``kind`` raises `InvalidInput` naming ``what`` it is and the kinds there are.
    """
    ref = registry.get(kind)
    if ref is None:
        raise InvalidInput(f"unknown {what} {kind!r}; known: {', '.join(sorted(registry))}")
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)
