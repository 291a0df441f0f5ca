"""``aisec audit``: verify, read and write the tamper-evident audit log."""

from __future__ import annotations

import json
import re
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

audit_app = typer.Typer(
    help="Verify, read and write the audit log (its head is witnessed outside the database).",
    no_args_is_help=True,
)


def _since(text: str | None) -> tuple[int, str] | None:
    from aisec.core.errors import InputError

    if text is None:
        return None
    seq, _, prefix = text.strip().partition(":")
    if (
        not seq.isdigit()
        or int(seq) < 1
        or (prefix and not re.fullmatch(r"[0-9a-fA-F]{8,64}", prefix))
    ):
        raise InputError(
            f"--since {text!r}: expected SEQ or SEQ:HASH (8-64 hex digits), as printed by "
            "a previous `aisec audit verify` (head SEQ:HASH)"
        )
    return int(seq), prefix


@audit_app.command("verify")
def verify(
    fmt: FormatOpt = OutputFormat.TABLE,
    fail_on: FailOnOpt = "info",
    quiet: QuietOpt = False,
    min_events: Annotated[
        int | None,
        typer.Option("--min-events", min=0, help="Fail unless the log holds at least N events."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="SEQ:HASH of a head seen earlier (printed by verify): fail unless the log "
            "still holds that event with that hash.",
        ),
    ] = None,
) -> None:
    """Check the audit log: no event altered, inserted, reordered or removed (exit 1 if so).

    Compares the database with its keyed hash chain, its signed checkpoints and every
    witness of its head (the local one in AISEC_HOME and those in AISEC_AUDIT_WITNESS), and
    says what that proves. A monitor passes the head printed last time with --since.

    Example: aisec audit verify --since 120:3f9a1c0b2d4e5f60
    """
    from aisec.core.audit import default_log
    from aisec.core.authz import authorize

    authorize("audit.verify")
    report = default_log().verify_report(min_events=min_events, since=_since(since))
    findings = report.findings
    if not quiet:
        from aisec.cli._text import visible

        head = f"{report.head_seq}:{report.head_hash[:16]}" if report.head_seq else "none"
        lines = [f"head {head}", *report.statement()]
        to_err = fmt is not OutputFormat.TABLE or bool(findings)
        if not findings and fmt is OutputFormat.TABLE:
            typer.echo(f"audit log intact: {report.events} event(s) verified")
        elif findings and fmt is OutputFormat.TABLE:
            first = findings[0]
            where = visible(first.location.pointer or "the witness")
            typer.echo(f"audit log TAMPERED: {first.rule_id} at {where}", err=True)
        for line in lines:
            typer.echo(visible(f"  {line}"), err=to_err)
        if not findings and fmt is OutputFormat.TABLE:
            raise typer.Exit(0)
    code = emit_findings(
        findings,
        fmt,
        fail_on,
        quiet,
        command="audit verify",
        title="Audit log",
        extra={"events": report.events},
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
    from aisec.core.authz import authorize

    authorize("audit.read")
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
    from aisec.core.authz import authorize
    from aisec.core.errors import InputError

    principal = authorize("audit.write")
    details: dict[str, str] = {}
    for item in detail or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--detail {item!r}: expected KEY=VALUE")
        details[key] = value
    event = record(action, target, outcome=outcome, details=details, actor=principal)
    typer.echo(f"recorded event {event.seq} ({event.hash[:16]}…)")


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Sign the current head now (also done every 100 events) and write it to every witness.

    Every event already writes its head to the witnesses; run this to start a witness
    newly set in AISEC_AUDIT_WITNESS, or after restoring a log you have verified.

    Example: aisec audit checkpoint
    """
    from aisec.core.audit import default_log
    from aisec.core.authz import authorize

    authorize("audit.write")
    seq = default_log().checkpoint()
    typer.echo(f"checkpoint signed at event {seq}" if seq else "log is empty; nothing to sign")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
