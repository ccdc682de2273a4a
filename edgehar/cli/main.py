"""Entry point of the ``edgehar`` command.

Each command lives in its own module under ``edgehar.cli`` and exposes ``register(app)``.
Command modules import nothing heavy at import time, so ``edgehar --help`` and
``edgehar stream`` never pull in torch or tensorflow.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Optional

import typer

from edgehar import __version__
from edgehar.errors import EdgeharError

app = typer.Typer(
    name="edgehar",
    help="Human activity recognition from multimodal pretraining to int8 on the wrist.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules under edgehar.cli that define a working command; order sets --help order.
COMMAND_MODULES: list[str] = [
    "datasets",
    "train",
    "report",
    "stream",
    "record",
    "simulate",
    "distill",
    "export",
    "eval",
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"edgehar {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
) -> None:
    if debug:
        os.environ["EDGEHAR_DEBUG"] = "1"


for _name in COMMAND_MODULES:
    importlib.import_module(f"edgehar.cli.{_name}").register(app)


def _usage_error_type() -> type[Exception]:
    """click's ClickException as typer raises it: typer >= 0.2x carries its own copy of click
    (whose classes the click package's do not match), older typer uses the click package."""
    try:
        from typer._click.exceptions import ClickException
    except ImportError:
        from click.exceptions import ClickException
    return ClickException


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors become one line on stderr and a non-zero exit."""
    debug = os.environ.get("EDGEHAR_DEBUG") == "1" or "--debug" in (argv or sys.argv[1:])
    try:
        app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except EdgeharError as exc:
        if debug:
            raise
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(exc.exit_code)
    except Exception as exc:  # a usage error or a bug: still one line unless --debug
        if isinstance(exc, _usage_error_type()):  # bad option value, unknown option, missing argument
            message = exc.format_message()
            if message:  # empty after no arguments: the help it stands for is already printed
                sys.stderr.write(f"error: {message}\n")
            sys.exit(exc.exit_code)
        if isinstance(exc, typer.Abort):
            sys.stderr.write("aborted\n")
            sys.exit(1)
        if debug:
            raise
        sys.stderr.write(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
