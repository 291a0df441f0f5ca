"""``aisec access``: who am I, which roles exist, may I do this."""

from __future__ import annotations

import typer

from aisec.cli.apikey import apikey_app

access_app = typer.Typer(help="Principals, roles and permissions.", no_args_is_help=True)


@access_app.command("whoami")
def whoami() -> None:
    """Show the current principal and its roles.

    Example: AISEC_PRINCIPAL=ci-bot aisec access whoami
    """
    from aisec.core.identity import current_principal

    p = current_principal()
    typer.echo(f"{p.name} ({p.kind}); roles: {', '.join(p.roles) or 'none'}")


@access_app.command("roles")
def roles() -> None:
    """List roles and their permissions.

    Example: aisec access roles
    """
    from rich.console import Console
    from rich.table import Table

    from aisec.core.identity import PERMISSIONS, ROLES

    table = Table(title="Roles")
    table.add_column("permission")
    table.add_column("meaning")
    for role in ROLES:
        table.add_column(role)
    for perm, meaning in PERMISSIONS.items():
        table.add_row(perm, meaning, *("yes" if perm in ROLES[r] else "" for r in ROLES))
    Console().print(table)


@access_app.command("check")
def check(permission: str = typer.Argument(..., help="e.g. keys.rotate")) -> None:
    """Exit 0 if the current principal has PERMISSION, else 2 with the reason.

    Example: aisec access check registry.promote
    """
    from aisec.core.errors import InputError
    from aisec.core.identity import PERMISSIONS, current_principal, require

    if permission not in PERMISSIONS:
        raise InputError(f"unknown permission {permission!r}; see: aisec access roles")
    require(current_principal(), permission)
    typer.echo(f"allowed: {permission}")


def register(app: typer.Typer) -> None:
    access_app.add_typer(apikey_app, name="apikey")
    app.add_typer(access_app, name="access")
