"""``aisec scan``: find code hidden in model files and archives, without executing anything."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aisec.cli._output import FailOnOpt, FormatOpt, QuietOpt, parse_fail_on
from aisec.core.render import OutputFormat

if TYPE_CHECKING:
    from aisec.artifacts import ScanReport

_VERDICT_STYLE = {
    "clean": "green",
    "suspicious": "yellow",
    "malicious": "bold red",
    "error": "magenta",
}


def scan(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or archives to scan.")],
    fmt: FormatOpt = OutputFormat.TABLE,
    fail_on: FailOnOpt = "medium",
    quiet: QuietOpt = False,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Descend into sub-folders.")
    ] = False,
) -> None:
    """Scan model files (pickle, PyTorch, joblib, NumPy, Keras, ONNX, GGUF, …) for code.

    Example: aisec scan --recursive models/ --format sarif > scan.sarif
    """
    from aisec.core.audit import record
    from aisec.core.identity import current_principal, require
    from aisec.core.render import exit_code_for

    threshold = parse_fail_on(fail_on)
    require(current_principal(), "scan.run")
    report = _run_with_progress(paths, recursive, quiet)
    summary = report.summary()
    worst = next(
        (v for v in ("malicious", "error", "suspicious") if summary[v]),
        "clean",
    )
    record(
        "artifacts.scan",
        ", ".join(str(p) for p in paths)[:500],
        outcome="ok",
        details={"worst": worst, **summary},
    )
    if not quiet:
        _emit(report, fmt)
    findings = report.findings
    raise typer.Exit(int(exit_code_for(findings, threshold)))


def _run_with_progress(paths: list[Path], recursive: bool, quiet: bool) -> ScanReport:
    from aisec.artifacts import scan_path
    from aisec.core.policy import active_policy

    found = active_policy()  # its artifacts: section (allow/deny globals), if there is one
    policy = found.artifacts if found is not None else None
    if quiet or not sys.stderr.isatty():
        return scan_path(paths, recursive=recursive, policy=policy)
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("scanning {task.completed} file(s)"),
        TextColumn("[dim]{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def tick(path: str) -> None:
            progress.update(task, advance=1, description=path[-60:])

        return scan_path(paths, recursive=recursive, progress=tick, policy=policy)


def _emit(report: ScanReport, fmt: OutputFormat) -> None:
    import json

    from aisec.core.render import to_sarif, to_table

    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n")
        return
    if fmt is OutputFormat.SARIF:
        sys.stdout.write(json.dumps(to_sarif(report.findings), indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    tty = sys.stdout.isatty()
    console = Console(width=None if tty else 120, force_terminal=tty, no_color=not tty)
    files = Table(title="Files", show_lines=False)
    for col in ("verdict", "format", "path", "findings"):
        files.add_column(col, overflow="fold")
    for r in report.files:
        style = _VERDICT_STYLE[r.verdict]
        files.add_row(f"[{style}]{r.verdict}[/]", r.format, r.path, str(len(r.findings)))
    console.print(files)
    findings = report.findings
    if findings:
        console.print(to_table(findings, "Findings"))
    s = report.summary()
    console.print(
        f"{s['files']} file(s): {s['malicious']} malicious, {s['suspicious']} suspicious, "
        f"{s['error']} error, {s['clean']} clean; {len(findings)} finding(s)"
    )


def register(app: typer.Typer) -> None:
    app.command("scan", no_args_is_help=True)(scan)
