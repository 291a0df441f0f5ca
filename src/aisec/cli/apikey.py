"""``aisec access apikey …``: create, list and revoke the gateway's API keys."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

apikey_app = typer.Typer(
    help="Create, list and revoke API keys for the gateway (aisec up).", no_args_is_help=True
)


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


@apikey_app.command("create")
def create(
    principal: Annotated[
        str, typer.Option("--principal", metavar="NAME", help="Who the key acts as.")
    ],
    tenant: Annotated[
        str | None, typer.Option("--tenant", metavar="NAME", help="Tenant of the key.")
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            metavar="LIST",
            help="Comma-separated models the key may use (globs allowed).",
        ),
    ] = None,
    rpm: Annotated[
        int | None, typer.Option("--rpm", metavar="N", help="Requests per minute.")
    ] = None,
    tpm: Annotated[
        int | None, typer.Option("--tpm", metavar="N", help="Tokens per minute.")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option("--expires", metavar="WHEN", help="30d, 12h, 2w, 1y or an ISO date."),
    ] = None,
) -> None:
    """Create an API key and print it once (the store keeps only a keyed hash).

    Example: aisec access apikey create --principal app1 --rpm 60 --expires 30d
    """
    from aisec.gateway import create_key, parse_expiry

    model_list = None
    if models is not None:
        model_list = [m.strip() for m in models.split(",") if m.strip()]
    when = parse_expiry(expires) if expires is not None else None
    key, stored = create_key(
        principal, tenant=tenant, models=model_list, rpm=rpm, tpm=tpm, expires=when
    )
    typer.echo(key)
    typer.echo(
        f"created API key {stored.prefix} for {stored.principal}; it is shown only now",
        err=True,
    )


@apikey_app.command("list")
def list_cmd(
    principal: Annotated[
        str | None, typer.Option("--principal", metavar="NAME", help="Only this principal's keys.")
    ] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = (
        ListFormat.TABLE
    ),
) -> None:
    """List API keys: prefix, principal, tenant, models, limits, dates, state (never the key).

    Example: aisec access apikey list --format json
    """
    from aisec.gateway import list_keys

    rows = [k.to_dict() for k in list_keys(principal)]
    if fmt is ListFormat.JSON:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no API keys; create one with: aisec access apikey create --principal NAME")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    def show(v: object) -> str:
        if v is None:
            return "-"
        if isinstance(v, list):
            return escape(",".join(map(str, v))) if v else "(none)"
        return escape(str(v))

    cols = (
        "prefix",
        "principal",
        "tenant",
        "models",
        "rpm",
        "tpm",
        "created",
        "expires",
        "revoked",
        "last_used",
        "state",
    )
    table = Table(title="API keys")
    for col in cols:
        table.add_column(col.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*(show(row[c]) for c in cols))
    Console(width=160).print(table)


@apikey_app.command("revoke")
def revoke(
    prefix: Annotated[str, typer.Argument(metavar="PREFIX", help="The key's public prefix.")],
) -> None:
    """Revoke an API key; every gateway worker refuses it within a second.

    Example: aisec access apikey revoke 3f9a1c0b7d2e
    """
    from aisec.gateway import revoke_key

    stored, changed = revoke_key(prefix)
    typer.echo(
        f"revoked API key {stored.prefix} ({stored.principal})"
        if changed
        else f"API key {stored.prefix} was already revoked"
    )
