"""``aisec rules``: the catalog of every rule id aisec's checks can emit."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

rules_app = typer.Typer(
    help="The rule catalog: every rule id aisec can report, its severity and references.",
    no_args_is_help=True,
)


class RulesFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


@rules_app.command("list")
def list_rules(
    fmt: Annotated[
        RulesFormat, typer.Option("--format", "-f", help="Output format: table or json.")
    ] = RulesFormat.TABLE,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Only the rules of one source: guard, artifacts, core."),
    ] = None,
) -> None:
    """List every rule: id, default severity, title, framework references.

    Example: aisec rules list --format json
    """
    from aisec.core.rules import all_rules

    rules = all_rules(source)
    if fmt is RulesFormat.JSON:
        sys.stdout.write(json.dumps([r.to_dict() for r in rules], indent=2) + "\n")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Rules ({len(rules)})")
    for column in ("id", "severity", "title", "frameworks"):
        table.add_column(column, overflow="fold")
    for r in rules:
        table.add_row(
            escape(r.id),
            r.severity.value,
            escape(r.title),
            escape(", ".join(str(ref) for ref in r.frameworks)),
        )
    Console(width=160).print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
