"""The ``aisec`` entry point: builds the Typer app and maps errors to exit codes in one place.

Each command module exposes ``register(app)``; modules import heavy libraries only inside
their commands, so ``aisec --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from typer.exceptions import Abort, Exit, TyperException

from aisec import __version__
from aisec.core.errors import AisecError, ExitCode, PolicyError

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "aisec.cli.init",
    "aisec.cli.policy",
    "aisec.cli.audit",
    "aisec.cli.access",
    "aisec.cli.keys",
    "aisec.cli.data",
    "aisec.cli.scan",
    "aisec.cli.guard",
    "aisec.cli.rules",
    "aisec.cli.up",
)

app = typer.Typer(
    name="aisec",
    help="Secure AI systems end to end: assets, data, keys, model artifacts, inference.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aisec {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
) -> None:
    """aisec: secure AI systems end to end."""


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def _err(message: str) -> None:
    sys.stderr.write(f"aisec: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code (never raises)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("AISEC_DEBUG") == "1"
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=args, prog_name="aisec", standalone_mode=False)
    except Exit as exc:
        return int(exc.exit_code)
    except Abort:
        _err("aborted")
        return int(ExitCode.USAGE)
    except TyperException as exc:  # usage errors: bad option, missing argument, no such command
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _err(str(exc))
        return int(ExitCode.USAGE)
    except PolicyError as exc:
        _err(exc.message)
        for line in exc.errors:
            if line != exc.message:
                sys.stderr.write(f"  {line}\n")
        return int(exc.exit_code)
    except AisecError as exc:
        if debug:
            raise
        _err(exc.message)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return int(ExitCode.CLEAN)
    except Exception as exc:  # the one place that turns a bug into exit 3
        if debug:
            raise
        _err(f"internal error ({type(exc).__name__}): {exc}. Rerun with --debug for a traceback.")
        return int(ExitCode.INTERNAL)
    return int(rv) if isinstance(rv, int) else int(ExitCode.CLEAN)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
