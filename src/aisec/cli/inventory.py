"""``aisec inventory``: list the AI assets in a code base or a bucket, and what is wrong."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aisec.cli._output import FailOnOpt, FormatOpt, OutputFormat, QuietOpt

if TYPE_CHECKING:
    from rich.console import RenderableType

    from aisec.inventory import Asset, Inventory

# the details worth a column in the table, per kind (JSON has them all)
_SHOWN = {
    "model_file": ("format", "size", "verdict", "signature"),
    "dataset": ("format", "size", "column_count", "rows"),
    "llm_call": ("sdk", "model"),
    "prompt": ("source", "system"),
    "agent_tool": ("framework", "risks"),
    "vector_store": ("sdk",),
    "mcp_server": ("command", "pinned"),
    "secret": ("type",),
    "dependency_manifest": ("format", "dependencies", "pinned", "hashed"),
    "container_image": ("pinned_by_digest",),
}


def inventory(
    path: Annotated[
        str, typer.Argument(metavar="PATH", help="A folder, a file, or an fsspec URL (s3://…).")
    ],
    fmt: FormatOpt = OutputFormat.TABLE,
    fail_on: FailOnOpt = "never",
    quiet: QuietOpt = False,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            "-e",
            metavar="PATTERN",
            help="Leave out paths matching PATTERN (gitignore syntax); repeatable.",
        ),
    ] = None,
    osv_db: Annotated[
        Path | None,
        typer.Option(
            "--osv-db",
            metavar="FOLDER",
            help="Folder of OSV JSON records (osv.dev's PyPI/all.zip, unpacked) for the "
            "offline vulnerability check.",
        ),
    ] = None,
    no_scan: Annotated[
        bool, typer.Option("--no-scan", help="List model files without scanning them.")
    ] = False,
) -> None:
    """List AI assets (models, data sets, LLM calls, prompts, tools, vector stores, MCP
    servers, secrets, dependencies, images) and supply-chain findings.

    Example: aisec inventory . --exclude 'tests/' --format json > inventory.json
    """
    from aisec.cli._output import exit_code_for, parse_fail_on
    from aisec.core.audit import record

    threshold = parse_fail_on(fail_on)  # a bad --fail-on fails before the walk
    inv = _run(path, exclude or [], osv_db, not no_scan, quiet)
    record(
        "inventory.run",
        path[:500],
        outcome="ok",
        details={"files": inv.summary.get("files", 0), **inv.summary.get("assets", {})},
    )
    if fmt is OutputFormat.JSON:
        if not quiet:
            from aisec.cli._output import dump_json

            dump_json(_redacted(inv))
        raise typer.Exit(int(exit_code_for(inv.findings, threshold)))
    code = _emit(inv, fmt, fail_on, quiet)
    raise typer.Exit(int(code))


def _run(path: str, exclude: list[str], osv_db: Path | None, scan: bool, quiet: bool) -> Inventory:
    from aisec.inventory import inventory as run_inventory

    if quiet or not sys.stderr.isatty():
        return run_inventory(path, exclude=exclude, osv_db=osv_db, scan_models=scan)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from aisec.cli._output import console

    with Progress(
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("inventory", total=None)

        def tick(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        return run_inventory(path, exclude=exclude, osv_db=osv_db, scan_models=scan, progress=tick)


def _redacted(inv: Inventory) -> dict[str, Any]:
    """``to_json`` with every finding's evidence passed through the secret detectors."""
    from aisec.cli._redact import redact_secrets
    from aisec.inventory import to_json

    doc = to_json(inv)
    for finding in doc["findings"]:
        finding["evidence"] = redact_secrets(finding["evidence"])
    return doc


def _detail(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)


def _assets_table(assets: list[Asset]) -> RenderableType:
    from rich.table import Table

    from aisec.cli._output import cell

    table = Table(title="Assets", show_lines=False)
    for col in ("kind", "location", "name", "details"):
        table.add_column(col, overflow="fold")
    for a in assets:
        where = a.path if a.line is None else f"{a.path}:{a.line}"
        if "cell" in a.details:
            where += f" (cell {a.details['cell']})"
        shown = "; ".join(
            f"{k}={_detail(a.details[k])}" for k in _SHOWN.get(a.kind, ()) if k in a.details
        )
        table.add_row(cell(a.kind), cell(where), cell(a.name), cell(shown))
    return table


def _emit(inv: Inventory, fmt: OutputFormat, fail_on: str, quiet: bool) -> int:
    from aisec.cli._output import cell, emit_findings

    before: list[RenderableType] = []
    after: list[RenderableType] = []
    if fmt is OutputFormat.TABLE and not quiet:
        if inv.assets:
            before.append(_assets_table(inv.assets))
        counts = inv.summary["assets"]
        listed = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no AI assets"
        after.append(cell(f"{inv.summary['files']} file(s) read: {listed}"))
        if "vulnerability_data" in inv.summary:
            after.append(cell(f"vulnerabilities: {inv.summary['vulnerability_data']}", "dim"))
        after.extend(cell(f"skipped {s.path}: {s.reason}", "dim") for s in inv.skipped[:20])
        if len(inv.skipped) > 20:
            after.append(cell(f"… and {len(inv.skipped) - 20} more skipped (see --format json)"))
    return emit_findings(
        inv.findings,
        fmt,
        fail_on,
        quiet,
        command="inventory",
        title="Findings",
        extra={"root": inv.root},
        before=before,
        after=after,
    )


def register(app: typer.Typer) -> None:
    app.command("inventory", no_args_is_help=True)(inventory)
