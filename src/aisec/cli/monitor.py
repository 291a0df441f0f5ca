"""``aisec monitor …`` and ``aisec alerts …``: signals, alerts and their acknowledgement."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer

from aisec.core.errors import InputError

monitor_app = typer.Typer(
    help="Compute monitoring signals from the audit log and raise alerts.", no_args_is_help=True
)
alerts_app = typer.Typer(help="List, show and acknowledge monitoring alerts.", no_args_is_help=True)
playbook_app = typer.Typer(
    help="Run incident playbooks: rehearsed, audited, resumable responses.", no_args_is_help=True
)

_DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``30m``, ``24h``, ``7d`` (that long ago) or an ISO 8601 time (UTC if no zone)."""
    now = now or datetime.now(UTC)
    m = _DURATION.match(text.strip())
    if m:
        return now - timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--since {text[:40]!r}: expected a duration (30m, 24h, 7d) or an ISO 8601 time"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@monitor_app.command("run")
def run(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Replay from then with fresh detectors (24h, 7d or ISO time); default: "
            "continue where the last run stopped.",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """Read new gateway audit events, update the signals and raise alerts.

    Example: aisec monitor run --since 24h
    """
    from aisec.monitor import monitor_once

    result = monitor_once(parse_since(since) if since else None)
    if fmt is Format.JSON:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        return
    if result.skipped:
        typer.echo("another monitor run processed these events first; nothing stored")
        return
    typer.echo(
        f"{result.events} events read (up to audit seq {result.last_seq}), "
        f"{result.alarms} alarms, {len(result.opened)} new alerts"
    )
    skipped = {k: v for k, v in result.pipeline.items() if v.startswith("skipped")}
    for check, why in skipped.items():  # a pipeline check that could not run is not silent
        typer.echo(f"pipeline check {check}: {why}", err=True)
    _table(result.opened)


@monitor_app.command("metrics")
def metrics() -> None:
    """Print the alert metrics in Prometheus' text format (for a textfile collector).

    Example: aisec monitor metrics > /var/lib/node_exporter/aisec.prom
    """
    from aisec.core.authz import authorize
    from aisec.core.store import open_store
    from aisec.monitor import exposition

    authorize("alerts.read")
    store = open_store()
    try:
        sys.stdout.write(exposition(store).decode())
    finally:
        store.close()


def _table(alerts: Sequence[object]) -> None:
    from rich.table import Table

    from aisec.cli._output import cell, console
    from aisec.monitor import Alert

    rows = [a for a in alerts if isinstance(a, Alert)]
    if not rows:
        return
    table = Table(title=f"Alerts ({len(rows)})")
    for col in ("id", "severity", "status", "rule", "subject", "count", "first seen", "playbook"):
        table.add_column(col, overflow="fold")
    for a in rows:
        table.add_row(
            cell(a.id),
            cell(a.severity.value),
            cell(a.status),
            cell(a.rule_id),
            cell(a.subject),
            cell(str(a.count)),
            cell(a.first_seen[:19]),
            cell(a.playbook or "-"),
        )
    console().print(table)


@alerts_app.command("list")
def list_cmd(
    status: Annotated[
        str | None, typer.Option("--status", metavar="STATE", help="open or acked.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=10_000, help="At most this many, newest first.")
    ] = 100,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """List alerts, newest first.

    Example: aisec alerts list --status open
    """
    from aisec.monitor import list_alerts

    if status is not None and status not in ("open", "acked"):
        raise InputError(f"--status: expected open or acked, got {status[:20]!r}")
    alerts = list_alerts(status, limit)
    if fmt is Format.JSON:
        sys.stdout.write(json.dumps([a.to_dict() for a in alerts], indent=2) + "\n")
        return
    if not alerts:
        typer.echo("no alerts")
        return
    _table(alerts)


@alerts_app.command("show")
def show(
    alert_id: Annotated[str, typer.Argument(metavar="ID", help="The alert's id (alerts list).")],
) -> None:
    """Show one alert: evidence, frameworks and the playbook that answers it (JSON).

    Example: aisec alerts show 3f9a1c0b7d2e4f51
    """
    from aisec.monitor import show_alert

    # ensure_ascii: every control, format or bidi character in a string is an escape
    text = json.dumps(show_alert(alert_id).to_dict(), indent=2, ensure_ascii=True)
    sys.stdout.write(text + "\n")


@alerts_app.command("ack")
def ack(
    alert_id: Annotated[str, typer.Argument(metavar="ID", help="The alert's id (alerts list).")],
    note: Annotated[
        str | None, typer.Option("--note", metavar="TEXT", help="Why (kept with the alert).")
    ] = None,
) -> None:
    """Acknowledge an alert (audited); later alarms within the cool-down fold into it.

    Example: aisec alerts ack 3f9a1c0b7d2e4f51 --note "expected batch job"
    """
    from aisec.cli._text import one_line
    from aisec.monitor import ack_alert

    alert, changed = ack_alert(alert_id, note)
    state = "acknowledged" if changed else "was already acknowledged"
    typer.echo(f"alert {alert.id} {state} ({one_line(alert.rule_id)} {one_line(alert.subject)})")


def _params(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param {item[:60]!r}: expected NAME=VALUE")
        out[key.strip()] = value
    return out


@playbook_app.command("list")
def playbook_list(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """List the playbooks (built-in and the policy's): parameters, approval, steps.

    Example: aisec playbook list
    """
    from aisec.monitor import playbooks

    books = playbooks()
    if fmt is Format.JSON:
        doc = {n: b.model_dump(by_alias=True) for n, b in books.items()}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    from rich.table import Table

    from aisec.cli._output import cell, console

    table = Table(title=f"Playbooks ({len(books)})")
    for col in ("name", "approval", "parameters", "steps"):
        table.add_column(col, overflow="fold")
    for name, b in books.items():
        params = ", ".join(f"{p}{'*' if s.required else ''}" for p, s in b.params.items())
        steps = " -> ".join(f"{s.name} ({s.action})" for s in b.steps)
        table.add_row(cell(name), cell("yes" if b.approval else "no"), cell(params), cell(steps))
    console().print(table)


def _show_result(result: object, fmt: Format) -> None:
    from aisec.monitor import PlaybookResult

    assert isinstance(result, PlaybookResult)  # noqa: S101 - the API's type
    if fmt is Format.JSON:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
    else:
        from aisec.cli._text import one_line

        head = f"playbook {result.playbook}: {result.status}"
        if result.run_id:
            head += f" (run {result.run_id}{', resumed' if result.resumed else ''})"
        typer.echo(head)
        for s in result.steps:
            typer.echo(f"  {s.idx + 1}. [{s.status}] {one_line(s.name)}: {one_line(s.description)}")
            if s.result:
                typer.echo(f"     {one_line(json.dumps(s.result, default=str), 500)}")
        if result.status == "awaiting_approval":
            typer.echo(f"another principal approves with: aisec playbook approve {result.run_id}")
    if result.status == "failed":
        raise typer.Exit(1)


@playbook_app.command("run")
def playbook_run(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The playbook (playbook list).")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", metavar="NAME=VALUE", help="A parameter (repeatable)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the steps it would take; change nothing.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """Run a playbook; the same playbook and parameters resume an unfinished run.

    Example: aisec playbook run revoke-principal --param principal=app1 --dry-run
    """
    from aisec.monitor import run_playbook

    _show_result(run_playbook(name, _params(param), dry_run=dry_run), fmt)


@playbook_app.command("approve")
def playbook_approve(
    run_id: Annotated[
        str, typer.Argument(metavar="RUN", help="The run waiting for approval (playbook runs).")
    ],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """Approve a run that waits for approval (not its starter), then run it.

    Example: aisec playbook approve 3f9a1c0b7d2e4f51
    """
    from aisec.monitor import approve_playbook

    _show_result(approve_playbook(run_id), fmt)


@playbook_app.command("runs")
def playbook_runs_cmd(
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="At most this many, newest first.")
    ] = 20,
) -> None:
    """List recent playbook runs with each step's state (JSON).

    Example: aisec playbook runs --limit 5
    """
    from aisec.monitor import playbook_runs

    sys.stdout.write(json.dumps(playbook_runs(limit), indent=2, ensure_ascii=True) + "\n")


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(playbook_app, name="playbook")
