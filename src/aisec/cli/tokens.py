"""``aisec access token …``: the gateway's JWT deny list (deny a subject's or one token)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aisec.cli.apikey import ListFormat
from aisec.core.errors import InputError

token_app = typer.Typer(
    help="Deny JWTs at the gateway: every token of a subject issued until now, or one by jti.",
    no_args_is_help=True,
)


@token_app.command("deny")
def deny(
    subject: Annotated[
        str | None,
        typer.Option("--subject", metavar="NAME", help="Deny this principal's tokens until now."),
    ] = None,
    jti: Annotated[
        str | None, typer.Option("--jti", metavar="ID", help="Deny the token with this jti.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (audited).")] = None,
) -> None:
    """Deny JWTs: every replica refuses them within 1 s (tokens issued later are accepted).

    Example: aisec access token deny --subject alice@example.com --reason "laptop stolen"
    """
    from aisec.gateway import deny_tokens

    if (subject is None) == (jti is None):
        raise InputError("aisec access token deny: give --subject or --jti (one of them)")
    kind, value = ("subject", subject) if subject is not None else ("jti", jti)
    assert value is not None  # noqa: S101 - one of them was given
    entry, changed = deny_tokens(kind, value, reason)
    what = "denied" if changed else "already denied"
    typer.echo(f"{what}: {kind} {value!r}, tokens issued before {entry.to_dict()['not_before']}")


@token_app.command("list")
def list_cmd(
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = (
        ListFormat.TABLE
    ),
) -> None:
    """List the JWT deny list, newest first.

    Example: aisec access token list --format json
    """
    from aisec.gateway import list_token_denials

    rows = [d.to_dict() for d in list_token_denials()]
    if fmt is ListFormat.JSON:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no denied tokens")
        return
    for r in rows:
        typer.echo(
            f"{r['kind']}\t{json.dumps(r['value'])}\tbefore {r['not_before']}\t"
            f"by {r['created_by']}\t{json.dumps(r['reason'])}"
        )
