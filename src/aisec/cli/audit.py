"""``aisec audit``: verify, read and write the tamper-evident audit log."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aisec.cli._output import (
    FailOnOpt,
    FormatOpt,
    OutputFormat,
    QuietOpt,
    TableJsonFormat,
    TableJsonOpt,
    emit_findings,
)

audit_app = typer.Typer(help="Verify, read and write the audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    fmt: FormatOpt = OutputFormat.TABLE,
    fail_on: FailOnOpt = "info",
    quiet: QuietOpt = False,
) -> None:
    """Prove no audit event was altered, removed, inserted or reordered (exit 1 if one was).

    Example: aisec audit verify --format json
    """
    from aisec.core.audit import default_log
    from aisec.core.identity import current_principal, require

    require(current_principal(), "audit.verify")
    log = default_log()
    findings = log.verify()
    if not findings and not quiet and fmt is OutputFormat.TABLE:
        typer.echo(f"audit log intact: {log.count()} event(s) verified")
        raise typer.Exit(0)
    if findings and not quiet and fmt is OutputFormat.TABLE:
        from aisec.cli._text import visible

        first = findings[0]
        typer.echo(
            f"audit log TAMPERED: first bad event {visible(first.location.pointer)}", err=True
        )
    code = emit_findings(
        findings,
        fmt,
        fail_on,
        quiet,
        command="audit verify",
        title="Audit log",
        extra={"events": log.count()},
    )
    raise typer.Exit(int(code))


@audit_app.command("tail")
def tail(
    n: Annotated[
        int, typer.Option("-n", "--lines", min=1, max=100_000, help="How many events to show.")
    ] = 20,
    fmt: TableJsonOpt = TableJsonFormat.TABLE,
) -> None:
    """Show the newest audit events.

    Example: aisec audit tail -n 50
    """
    from aisec.core.audit import default_log
    from aisec.core.identity import current_principal, require

    require(current_principal(), "audit.read")
    events = default_log().tail(n)
    if fmt is TableJsonFormat.JSON:
        typer.echo(json.dumps([e.to_dict() for e in events], indent=2))
        return
    from rich.table import Table

    from aisec.cli._output import cell, console

    table = Table(title=f"Audit log (last {len(events)})")
    for col in ("seq", "time (UTC)", "actor", "action", "target", "outcome", "details"):
        table.add_column(col, overflow="fold")
    for e in events:
        details = " ".join(f"{k}={v}" for k, v in e.details.items())
        when = e.time[:19].replace("T", " ")
        table.add_row(
            *(cell(v) for v in (e.seq, when, e.actor, e.action, e.target, e.outcome, details))
        )
    console().print(table)


@audit_app.command("record")
def record_event(
    action: Annotated[str, typer.Argument(help="What happened, e.g. model.deployed.")],
    target: Annotated[str, typer.Option("--target", "-t", help="What it happened to.")],
    outcome: Annotated[str, typer.Option("--outcome", help="ok, denied or error.")] = "ok",
    detail: Annotated[
        list[str] | None, typer.Option("--detail", "-d", help="KEY=VALUE, repeatable.")
    ] = None,
) -> None:
    """Record an event from a CI pipeline or another tool (actor: the caller's principal).

    Example: aisec audit record model.deployed --target fraud-v7 --detail env=prod
    """
    from aisec.core.audit import record
    from aisec.core.errors import InputError
    from aisec.core.identity import current_principal, require

    principal = current_principal()
    require(principal, "audit.write")
    details: dict[str, str] = {}
    for item in detail or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--detail {item!r}: expected KEY=VALUE")
        details[key] = value
    event = record(action, target, outcome=outcome, details=details, actor=principal.name)
    typer.echo(f"recorded event {event.seq} ({event.hash[:16]}…)")


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Sign the current head of the log now (checkpoints are also made every 100 events).

    Example: aisec audit checkpoint
    """
    from aisec.core.audit import default_log
    from aisec.core.identity import current_principal, require

    require(current_principal(), "audit.write")
    seq = default_log().checkpoint()
    typer.echo(f"checkpoint signed at event {seq}" if seq else "log is empty; nothing to sign")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
