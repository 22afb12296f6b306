"""The ``crisislab`` command line.

Commands live next to the code they drive: every subpackage that offers commands has a
``cli.py`` with a ``register(app)`` function, listed in :data:`COMMAND_MODULES`. This file
only builds the application and maps failures to exit codes:

* 0 success,
* 2 bad input (a message naming the file, the field or line, what was found and what was
  expected; never a traceback),
* 1 internal error.
"""

from __future__ import annotations

import importlib
import os
import sys

import click
import typer

from crisislab.errors import InputError
from crisislab.output import err_console

# Newer typer releases carry their own copy of click, whose exceptions are not click's:
# catch both, so a bad option is a usage error (exit 2) with either.
try:
    from typer._click.exceptions import UsageError as _TyperUsageError
except ImportError:  # pragma: no cover - typer that uses click itself
    _TyperUsageError = click.exceptions.UsageError  # type: ignore[misc, assignment]
USAGE_ERRORS = (click.exceptions.UsageError, _TyperUsageError)
ABORTS = (click.exceptions.Abort, typer.Abort)
EXITS = (click.exceptions.Exit, typer.Exit)

app = typer.Typer(
    name="crisislab",
    help="A laboratory for coalition diplomacy under threat.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

#: Modules whose ``register(app)`` adds commands, in the order they appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "crisislab.experiments.cli_core",
    "crisislab.experiments.cli_experiments",
    "crisislab.validation.cli",
    "crisislab.games.cli",
    "crisislab.policy.cli",
    "crisislab.report.cli",
    "crisislab.server.cli",
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_all()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn failures into exit codes 2 (input) or 1 (internal)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        result = app(args=args, prog_name="crisislab", standalone_mode=False)
    except InputError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return _exit(2, argv)
    except USAGE_ERRORS as exc:
        exc.show()
        return _exit(2, argv)
    except ABORTS:
        err_console.print("aborted")
        return _exit(1, argv)
    except EXITS as exc:
        return _exit(int(getattr(exc, "exit_code", 0) or 0), argv)
    except (BrokenPipeError, KeyboardInterrupt):
        return _exit(1, argv)
    except Exception as exc:  # noqa: BLE001 - last line of defence: exit 1 with a message
        if os.environ.get("CRISISLAB_DEBUG"):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "Set CRISISLAB_DEBUG=1 to see the traceback.",
            highlight=False,
        )
        return _exit(1, argv)
    code = result if isinstance(result, int) else 0
    return _exit(code, argv)


def _exit(code: int, argv: list[str] | None) -> int:
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    main()
