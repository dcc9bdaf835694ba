"""`bounceback` command line: kernel commands plus the ones the stages register as plugins."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from bounceback import plugins
from bounceback.commands import (
    db_cmd,
    demo_cmd,
    mentions_cmd,
    retention_cmd,
    run_cmd,
    sources_cmd,
    status_cmd,
    users_cmd,
    watches_cmd,
)
from bounceback.errors import BouncebackError
from bounceback.logs import configure_logging
from bounceback.settings import describe_validation_error, get_settings


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> Parser:
    """The full parser: kernel commands, then every installed plugin's."""
    parser = Parser(prog="bounceback", description="Notice public complaints early; recover the customer.")
    parser.add_argument("--log-format", choices=["text", "json"], help="log line format")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    kernel = (
        db_cmd,
        sources_cmd,
        watches_cmd,
        users_cmd,
        mentions_cmd,
        run_cmd,
        status_cmd,
        retention_cmd,
        demo_cmd,
    )
    for module in kernel:
        module.register(sub)
    plugins.register_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `bounceback` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
        configure_logging(args.log_format or settings.log_format, settings.log_level)
        result: Any = args.func(args)
    except ValidationError as exc:
        return _fail(describe_validation_error(exc), 2)
    except BouncebackError as exc:
        return _fail(str(exc), 1)
    except IntegrityError as exc:
        return _fail(f"refused by the database: {str(exc.orig).splitlines()[0]}", 1)
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).splitlines()[0]
        if "no such table" in reason or "does not exist" in reason:
            reason += " (run `bounceback db upgrade` first)"
        return _fail(f"database error: {reason}", 1)
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


def _fail(message: str, code: int) -> int:
    print(f"bounceback: error: {message}", file=sys.stderr)
    logging.getLogger("bounceback").debug("failed: %s", message)
    return code


if __name__ == "__main__":
    sys.exit(main())
