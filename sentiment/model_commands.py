"""`bounceback model list | use REVISION | retrain`: the model registry from the command line."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bounceback.commands.output import print_table
from bounceback.settings import get_settings


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `model` with its three subcommands."""
    model = sub.add_parser("model", help="list, choose and retrain the builtin sentiment model")
    actions = model.add_subparsers(dest="model_command", metavar="ACTION", parser_class=type(model))
    actions.required = True

    listing = actions.add_parser("list", help="installed models: revision, data, held-out figures")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_list)

    use = actions.add_parser("use", help="score with another installed model (roll back or forward)")
    use.add_argument("revision", help="a revision from `bounceback model list`, or `packaged`")
    use.set_defaults(func=_use)

    retrain = actions.add_parser(
        "retrain",
        help="train on the base data plus agents' corrections; install only if better on held-out data",
    )
    retrain.add_argument("--epochs", type=int, default=1)
    retrain.add_argument("--limit", type=int, help="N rows of each training and check file (a quick try)")
    retrain.add_argument("--max-steps", type=int, help="stop after N optimiser steps")
    retrain.add_argument("--batch-size", type=int, default=32)
    retrain.add_argument("--learning-rate", type=float, default=8e-5)
    retrain.add_argument("--threads", type=int, default=2, help="CPU threads for torch (default 2)")
    retrain.add_argument(
        "--force", action="store_true", help="install the candidate even if it is not better"
    )
    retrain.set_defaults(func=_retrain)


def _figures(metrics: dict[str, Any] | None) -> tuple[str, str]:
    mean = ((metrics or {}).get("mean") or {}).get("candidate")
    if not mean:
        return "—", "—"
    return f"{mean['macro_f1']:.3f}", f"{mean['negative_recall']:.3f}"


def _list(args: argparse.Namespace) -> int:
    from sentiment.model_store import PACKAGED, ModelStore

    settings = get_settings()
    store = ModelStore.for_settings(settings)
    in_use = store.resolve(settings.model_revision).name
    rows: list[dict[str, Any]] = []
    for entry in store.entries():
        metrics = entry.metrics or {}
        corrections = (metrics.get("corrections") or {}).get("used_for_training", 0 if entry.ok else None)
        f1, recall = _figures(entry.metrics)
        rows.append(
            {
                "active": entry.ok and entry.name == in_use,
                "name": entry.name,
                "revision": entry.revision,
                "created": metrics.get("created") or ("shipped" if entry.name == PACKAGED else "—"),
                "training_rows": entry.training_rows,
                "corrections": corrections,
                "heldout_macro_f1": f1,
                "heldout_negative_recall": recall,
                "status": "ok" if entry.ok else f"BROKEN: {entry.problem}",
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print_table(
        [
            [
                "*" if r["active"] else "",
                r["name"] if r["name"] == r["revision"] else f"{r['name']} ({r['revision']})",
                r["created"],
                r["training_rows"] if r["training_rows"] is not None else "—",
                r["corrections"] if r["corrections"] is not None else "—",
                r["heldout_macro_f1"],
                r["heldout_negative_recall"],
                r["status"],
            ]
            for r in rows
        ],
        [
            "",
            "revision",
            "created",
            "training rows",
            "corrections",
            "held-out macro-F1",
            "neg. recall (flagged)",
            "status",
        ],
    )
    if settings.model_revision:
        print(f"(BOUNCEBACK_MODEL_REVISION={settings.model_revision} chooses the model in use)")
    return 0


def _use(args: argparse.Namespace) -> int:
    from sentiment.model_store import ModelStore

    settings = get_settings()
    entry = ModelStore.for_settings(settings).use(args.revision)
    print(f"model {entry.label} is active: new scores use it from the next scoring pass; old scores are kept")
    if settings.model_revision and settings.model_revision not in (entry.name, entry.revision):
        print(f"note: BOUNCEBACK_MODEL_REVISION={settings.model_revision} overrides it until unset")
    return 0


def _retrain(args: argparse.Namespace) -> int:
    from bounceback.db import get_engine
    from sentiment.retrain import RetrainOptions, retrain

    options = RetrainOptions(
        epochs=args.epochs,
        limit=args.limit,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        threads=args.threads,
        force=args.force,
    )
    result = retrain(get_engine(), get_settings(), options, say=lambda line: print(line, flush=True))
    return 0 if result.entry is not None else 1
