"""``aisec access``: who am I, which roles exist, may I do this."""

from __future__ import annotations

import json

import typer

from aisec.cli._output import TableJsonFormat, TableJsonOpt
from aisec.cli.apikey import apikey_app

access_app = typer.Typer(help="Principals, roles and permissions.", no_args_is_help=True)


@access_app.command("whoami")
def whoami() -> None:
    """Show the current principal, how it was established, its roles and the policy files.

    Example: AISEC_PRINCIPAL=ci-bot aisec access whoami
    """
    from aisec.cli._text import visible
    from aisec.core.identity import current_principal, os_user
    from aisec.core.policy import policy_sources

    p = current_principal()
    typer.echo(visible(f"{p.name} ({p.kind}); roles: {', '.join(p.roles) or 'none'}"))
    typer.echo(visible(f"established: {p.established} (OS user: {os_user()})"))
    sources = policy_sources()
    if not sources:
        typer.echo("policy: none found (single-user mode: the OS user is admin)")
    for source in sources:
        typer.echo(visible(f"policy: {source.describe()}"))


@access_app.command("roles")
def roles(fmt: TableJsonOpt = TableJsonFormat.TABLE) -> None:
    """List roles and their permissions.

    Example: aisec access roles --format json
    """
    from aisec.core.identity import PERMISSIONS, ROLES

    if fmt is TableJsonFormat.JSON:
        doc = {
            "permissions": dict(PERMISSIONS),
            "roles": {role: sorted(perms) for role, perms in ROLES.items()},
        }
        typer.echo(json.dumps(doc, indent=2, sort_keys=True))
        return
    from rich.table import Table

    from aisec.cli._output import cell, console

    # Permission names are what users type (aisec access check NAME): never cut them; the
    # meaning and the roles that hold it wrap instead, so the table fits 80 columns.
    table = Table(title="Roles and their permissions")
    table.add_column("permission", no_wrap=True, min_width=max(len(p) for p in PERMISSIONS))
    table.add_column("meaning", ratio=3)
    table.add_column("roles", ratio=2)
    for perm, meaning in PERMISSIONS.items():
        holders = ", ".join(r for r in ROLES if perm in ROLES[r]) or "-"
        table.add_row(cell(perm), cell(meaning), cell(holders))
    console().print(table)


@access_app.command("check")
def check(permission: str = typer.Argument(..., help="e.g. keys.rotate")) -> None:
    """Exit 0 if the current principal has PERMISSION, else 2 with the reason.

    Example: aisec access check registry.promote
    """
    from aisec.core.authz import authorize
    from aisec.core.errors import InputError
    from aisec.core.identity import PERMISSIONS

    if permission not in PERMISSIONS:
        raise InputError(f"unknown permission {permission!r}; see: aisec access roles")
    authorize(permission)
    typer.echo(f"allowed: {permission}")


def register(app: typer.Typer) -> None:
    from aisec.cli.tokens import token_app

    access_app.add_typer(apikey_app, name="apikey")
    access_app.add_typer(token_app, name="token")
    app.add_typer(access_app, name="access")
