"""The ``aisec`` entry point: builds the Typer app and maps errors to exit codes in one place.

Each command module exposes ``register(app)``; modules import heavy libraries only inside
their commands, so ``aisec --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from types import FrameType

import typer
from typer.exceptions import Abort, Exit, TyperException

from aisec import __version__
from aisec.cli._text import one_line
from aisec.core.errors import AisecError, ExitCode, PolicyError

INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "aisec.cli.init",
    "aisec.cli.policy",
    "aisec.cli.audit",
    "aisec.cli.access",
    "aisec.cli.keys",
    "aisec.cli.data",
    "aisec.cli.scan",
    "aisec.cli.sign",
    "aisec.cli.registry",
    "aisec.cli.inventory",
    "aisec.cli.assess",
    "aisec.cli.guard",
    "aisec.cli.redteam",
    "aisec.cli.robustness",
    "aisec.cli.privacy",
    "aisec.cli.rules",
    "aisec.cli.monitor",
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
    policy: str | None = typer.Option(
        None, "--policy", help="Policy file to use alone (as AISEC_POLICY); trusted fully."
    ),
) -> None:
    """aisec: secure AI systems end to end."""
    if policy is not None:
        os.environ["AISEC_POLICY"] = policy


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


_MAX_MESSAGE = 1000  # one line, long enough for two paths and the fix


def _err(message: str) -> None:
    # Messages quote file names, key names and parts of inputs (a CSV header of binary
    # garbage): one visible line each, cut to a short excerpt.
    sys.stderr.write(f"aisec: error: {one_line(message, _MAX_MESSAGE)}\n")


class _Interrupts:
    """Remembers a Ctrl-C even when a library swallows the KeyboardInterrupt it raised.

    Tink's streaming AEAD calls back into Python to read and write; a KeyboardInterrupt
    raised there comes back as a TinkError carrying a C++ stack dump. Whatever exception
    ends the command after a Ctrl-C, the command was interrupted: exit 130, one line.
    """

    seen = False

    @classmethod
    def handler(cls, signum: int, frame: FrameType | None) -> None:
        cls.seen = True
        raise KeyboardInterrupt

    @classmethod
    def install(cls) -> bool:
        """Take over SIGINT if Python's default handler has it; True when it did."""
        cls.seen = False
        try:
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                signal.signal(signal.SIGINT, cls.handler)
                return True
        except ValueError:  # not the main thread (main() called from a worker thread)
            pass
        return False

    @classmethod
    def restore(cls) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling (``from None``
    hides a cause from tracebacks, not from ``__context__``)."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 16:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _is(exc: BaseException, module: str, *names: str) -> bool:
    """Whether ``exc`` is a ``module.NAME`` for one of ``names`` (by its class hierarchy,
    without importing the optional library that defines it)."""
    return any(
        (cls.__module__ == module or cls.__module__.startswith(module + "."))
        and cls.__name__ in names
        for cls in type(exc).__mro__
    )


def environment_problem(exc: BaseException) -> str | None:
    """A one-line cause and fix when ``exc`` comes from the environment (credentials, an
    unreachable server, an input nested beyond the recursion limit), else None."""
    for e in _chain(exc):
        first = one_line(str(e).splitlines()[0] if str(e) else type(e).__name__, 200)
        if _is(e, "botocore", "NoCredentialsError", "PartialCredentialsError"):
            return (
                f"AWS credentials not found ({first}); set AWS_PROFILE, or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run on a host with an "
                "instance role"
            )
        if _is(e, "botocore", "NoRegionError"):
            return "AWS region not set; set AWS_REGION (or use a KMS key ARN with a region)"
        if _is(e, "botocore", "ProfileNotFound"):
            return f"AWS profile not found ({first}); check AWS_PROFILE"
        if _is(e, "botocore", "EndpointConnectionError", "ConnectTimeoutError"):
            return f"cannot reach AWS ({first}); check the network and AWS_REGION"
        if _is(e, "psycopg", "OperationalError"):
            return (
                f"cannot connect to the database ({first}); check AISEC_DATABASE_URL and "
                "that the PostgreSQL server is running and reachable"
            )
        if _is(e, "sqlite3", "OperationalError") and "unable to open" in str(e):
            return (
                f"cannot open the SQLite database ({first}); check that AISEC_HOME "
                "exists and is writable"
            )
        if _is(e, "hvac", "VaultDown") or _is(e, "requests", "ConnectionError"):
            return f"cannot reach Vault ({first}); check VAULT_ADDR and that Vault is up"
        if isinstance(e, RecursionError):
            return (
                "input is nested too deeply to read (Python's recursion limit); "
                "check the policy file (AISEC_POLICY) or the input you gave"
            )
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code (never raises)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("AISEC_DEBUG") == "1"
    from aisec.cli import _redact

    _redact.install()  # audit targets and details pass the guard's secret detectors
    took_sigint = _Interrupts.install()
    try:
        return _run(args, debug)
    finally:
        if took_sigint:
            _Interrupts.restore()


def _run(args: list[str], debug: bool) -> int:
    from aisec.cli._help import plain_help

    command = plain_help(typer.main.get_command(app))
    try:
        rv = command.main(args=args, prog_name="aisec", standalone_mode=False)
    except Exit as exc:
        rv = int(exc.exit_code)
    except Abort:
        if _Interrupts.seen:
            _err("interrupted")
            return INTERRUPTED
        _err("aborted")
        return int(ExitCode.USAGE)
    except TyperException as exc:  # usage errors: bad option, missing argument, no such command
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _err(str(exc))
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        _err("interrupted")
        return INTERRUPTED
    except BrokenPipeError:
        return int(ExitCode.CLEAN)
    except Exception as exc:
        return _failed(exc, debug)
    if _Interrupts.seen or rv == INTERRUPTED:  # typer turns Ctrl-C into a silent 130
        _err("interrupted")
        return INTERRUPTED
    return int(rv) if isinstance(rv, int) else int(ExitCode.CLEAN)


def _failed(exc: Exception, debug: bool) -> int:
    """The one place that turns an exception into an exit code and one message."""
    if _Interrupts.seen:  # a library turned the KeyboardInterrupt into its own error
        _err("interrupted")
        return INTERRUPTED
    if isinstance(exc, PolicyError):
        _err(exc.message)
        for line in exc.errors:
            if line != exc.message:
                sys.stderr.write(f"  {one_line(line, _MAX_MESSAGE)}\n")
        return int(exc.exit_code)
    problem = environment_problem(exc)
    if problem is not None:
        if debug:
            raise exc
        _err(problem)
        return int(ExitCode.USAGE)
    if debug:
        raise exc
    if isinstance(exc, AisecError):
        _err(exc.message)
        return int(exc.exit_code)
    _err(f"internal error ({type(exc).__name__}): {exc}. Rerun with --debug for a traceback.")
    return int(ExitCode.INTERNAL)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
