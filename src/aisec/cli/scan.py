"""``aisec scan``: find code hidden in model files and archives, without executing anything."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aisec.cli._output import FailOnOpt, FormatOpt, OutputFormat, QuietOpt
from aisec.core.errors import InputError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from aisec.artifacts import ScanReport

_VERDICT_STYLE = {  # keyed by Verdict value; the order of verdicts lives in the enum
    "clean": "green",
    "suspicious": "yellow",
    "malicious": "bold red",
    "error": "magenta",
}


def scan(
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH", help="Files, folders or archives to scan.")
    ],
    fmt: FormatOpt = OutputFormat.TABLE,
    fail_on: FailOnOpt = "medium",
    quiet: QuietOpt = False,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Descend into sub-folders.")
    ] = False,
    show_all: Annotated[
        bool,
        typer.Option("--all", help="List every file in the table, clean ones too."),
    ] = False,
    allow_partial: Annotated[
        bool,
        typer.Option(
            "--allow-partial",
            help="Let files that were not fully scanned (a limit hit, an error) pass the "
            "--fail-on gate; they are still reported.",
        ),
    ] = False,
) -> None:
    """Scan model files (pickle, PyTorch, joblib, NumPy, Keras, ONNX, GGUF, …) for code.

    Example: aisec scan --recursive models/ --format sarif > scan.sarif
    """
    from aisec.artifacts import Verdict
    from aisec.core.audit import record
    from aisec.core.errors import ExitCode

    _check_named(paths)
    notes = [] if recursive else _skipped_subfolders(paths)
    report = _run_with_progress(paths, recursive, quiet)
    summary = report.summary()
    partial = report.partial
    worst = max((r.verdict for r in report.files), default=Verdict.CLEAN)
    record(
        "artifacts.scan",
        ", ".join(str(p) for p in paths)[:500],
        outcome="ok",
        details={"worst": worst.value, "partial": len(partial), **summary},
    )
    code = _emit(report, fmt, fail_on, quiet, show_all, notes)
    if partial and fail_on.strip().lower() != "never" and not allow_partial:
        # content that was never inspected cannot pass a gate set above a limit finding
        if not quiet:
            sys.stderr.write(
                f"aisec scan: {len(partial)} file(s) not fully scanned (a limit was hit or "
                "the content could not be read); failing the gate. --allow-partial accepts "
                "them.\n"
            )
        code = max(code, int(ExitCode.FINDINGS))
    raise typer.Exit(int(code))


def _check_named(paths: list[Path]) -> None:
    """A path named on the command line must exist; a dangling link is an error too."""
    for p in paths:
        if p.is_symlink() and not p.exists():
            raise InputError(
                f"{p}: symbolic link to {p.readlink()}, which does not exist; "
                "fix or remove the link"
            )


def _skipped_subfolders(paths: list[Path]) -> list[str]:
    notes = []
    for p in paths:
        if not p.is_dir():
            continue
        try:
            n = sum(1 for c in p.iterdir() if c.is_dir())
        except OSError:
            continue
        if n:
            notes.append(f"skipped {n} sub-folder(s) of {p}; add --recursive to scan them")
    return notes


def _run_with_progress(paths: list[Path], recursive: bool, quiet: bool) -> ScanReport:
    from aisec.artifacts import scan_path
    from aisec.core.policy import active_policy

    found = active_policy()  # its artifacts: section (allow/deny globals), if there is one
    policy = found.artifacts if found is not None else None
    if quiet or not sys.stderr.isatty():
        return scan_path(paths, recursive=recursive, policy=policy)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from aisec.cli._output import console
    from aisec.cli._text import visible

    with Progress(
        SpinnerColumn(),
        TextColumn("scanning {task.completed} file(s)", markup=False),
        TextColumn("{task.description}", markup=False, style="dim"),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def tick(path: str) -> None:
            progress.update(task, advance=1, description=visible(path)[-60:])

        return scan_path(paths, recursive=recursive, progress=tick, policy=policy)


def _emit(
    report: ScanReport,
    fmt: OutputFormat,
    fail_on: str,
    quiet: bool,
    show_all: bool,
    notes: list[str],
) -> int:
    from aisec.cli._output import cell, emit_findings

    s = report.summary()
    verdicts = {k: s[k] for k in ("clean", "suspicious", "malicious", "error", "files")}
    extra: dict[str, Any] = {
        "files": [r.to_dict() for r in report.files],
        "verdicts": verdicts,
        "notes": notes,
    }
    before: list[RenderableType] = []
    after: list[RenderableType] = []
    if fmt is OutputFormat.TABLE and not quiet:
        from rich.table import Table

        rows = [r for r in report.files if show_all or r.verdict != "clean"]
        if rows:
            title = "Files" if show_all else "Files (not clean; --all lists every file)"
            files = Table(title=title, show_lines=False)
            for col in ("verdict", "format", "path", "findings"):
                files.add_column(col, overflow="fold")
            for r in rows:
                files.add_row(
                    cell(r.verdict, _VERDICT_STYLE.get(r.verdict, "")),
                    cell(r.format),
                    cell(r.path),
                    cell(len(r.findings)),
                )
            before.append(files)
        after.append(
            cell(
                f"{s['files']} file(s): {s['malicious']} malicious, {s['suspicious']} "
                f"suspicious, {s['error']} error, {s['clean']} clean"
            )
        )
        after.extend(cell(f"note: {n}", "dim") for n in notes)
    return emit_findings(
        report.findings,
        fmt,
        fail_on,
        quiet,
        command="scan",
        title="Findings",
        extra=extra,
        before=before,
        after=after,
    )


def register(app: typer.Typer) -> None:
    app.command("scan", no_args_is_help=True)(scan)
