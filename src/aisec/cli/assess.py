"""``aisec assess``: inventory a code base, judge its threat model, write the posture report."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aisec.cli._output import FailOnOpt, QuietOpt
from aisec.core.errors import InputError

if TYPE_CHECKING:
    from aisec.core.store import Store
    from aisec.posture import Assessment, ThreatModel


class ReportFormat(StrEnum):
    """Formats of the posture report."""

    HTML = "html"
    MD = "md"
    JSON = "json"
    SARIF = "sarif"


def assess(
    path: Annotated[str, typer.Argument(metavar="PATH", help="Folder or fsspec URL to assess.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the report here (default: standard output)."),
    ] = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="html (default), md, json or sarif (2.1.0)."),
    ] = ReportFormat.HTML,
    fail_on: FailOnOpt = "high",
    quiet: QuietOpt = False,
    bom: Annotated[
        Path | None,
        typer.Option("--bom", help="Also write the AI-BOM (CycloneDX 1.6 JSON) here."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="gitignore-style pattern to leave out (repeatable)."),
    ] = None,
    osv_db: Annotated[
        Path | None,
        typer.Option("--osv-db", help="Folder of OSV JSON records for offline vulnerability data."),
    ] = None,
    no_store: Annotated[
        bool,
        typer.Option("--no-store", help="Do not record this run (no 'since last run' either)."),
    ] = False,
    threat_model: Annotated[
        Path | None,
        typer.Option(
            "--threat-model", help="A threat model of your own (JSON, see docs/assess.md)."
        ),
    ] = None,
    allow_partial: Annotated[
        bool,
        typer.Option(
            "--allow-partial",
            help="Let files the inventory had to skip pass the --fail-on gate; they are still "
            "reported.",
        ),
    ] = False,
) -> None:
    """Assess an AI code base: inventory, threat model, posture report and AI-BOM.

    Example: aisec assess . --out report.html --bom aibom.json --fail-on high
    """
    from aisec.cli._output import exit_code_for, parse_fail_on
    from aisec.core.errors import ExitCode
    from aisec.posture import load_threat_model

    threshold = parse_fail_on(fail_on)
    model = load_threat_model(threat_model)
    for target in (out, bom):
        if target is not None and target.is_dir():
            raise InputError(f"{target} is a folder; give a file name to write")
    store = None if no_store else _open_store()
    try:
        result = _run(path, exclude or [], osv_db, quiet, store, model)
    finally:
        if store is not None:
            store.close()
    _write(result, fmt, out)
    if bom is not None:
        from aisec.posture import build_aibom

        local = Path(result.root) if "://" not in result.root else None
        doc = build_aibom(result.inventory, Path(result.root).name or "project", local)
        _write_text(bom, _json(doc))
    if not quiet and (out is not None or fmt is not ReportFormat.HTML):
        _summary(result, out, bom)
    code = exit_code_for(result.findings, threshold)
    skipped = len(result.inventory.skipped)
    if skipped and threshold is not None and not allow_partial:
        # what was never read cannot pass a gate (as `aisec scan` does for partial scans)
        if not quiet:
            sys.stderr.write(
                f"aisec assess: {skipped} file(s) skipped (listed in the report); failing the "
                "gate. --allow-partial accepts them.\n"
            )
        code = max(code, ExitCode.FINDINGS)
    raise typer.Exit(int(code))


def _open_store() -> Store:
    from aisec.core.home import ensure_home
    from aisec.core.store import open_store

    ensure_home()
    return open_store()


def _run(
    path: str,
    exclude: list[str],
    osv_db: Path | None,
    quiet: bool,
    store: Store | None,
    model: ThreatModel,
) -> Assessment:
    from aisec.cli._redact import redact_secrets
    from aisec.posture import assess as run_assess

    if "://" not in path and not Path(path).is_dir():
        raise InputError(f"{path}: not a folder (give the root of the code base to assess)")
    if quiet or not sys.stderr.isatty():
        return run_assess(
            path, exclude=exclude, osv_db=osv_db, store=store, model=model, redact=redact_secrets
        )
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

        return run_assess(
            path,
            exclude=exclude,
            osv_db=osv_db,
            progress=tick,
            store=store,
            model=model,
            redact=redact_secrets,
        )


def _json(doc: object) -> str:
    import json

    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def _write(result: Assessment, fmt: ReportFormat, out: Path | None) -> None:
    from aisec.posture import render_html, render_markdown

    if fmt is ReportFormat.HTML:
        text = render_html(result)
    elif fmt is ReportFormat.MD:
        text = render_markdown(result)
    elif fmt is ReportFormat.SARIF:
        from aisec.cli._sarif import to_sarif

        text = _json(to_sarif(result.findings))
    else:
        from aisec.cli._output import findings_document

        text = _json(findings_document("assess", result.findings, result.to_dict()))
    if out is None:
        sys.stdout.write(text)
    else:
        _write_text(out, text)


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def _summary(result: Assessment, out: Path | None, bom: Path | None) -> None:
    from rich.table import Table

    from aisec.cli._output import cell, console

    # On stderr when the report itself went to standard output.
    con = console(stderr=out is None)
    table = Table(title="Score per framework")
    for col in ("framework", "score", "in place", "partial", "missing", "unknown"):
        table.add_column(col)
    for fw, s in result.scores.items():
        score = "n/a" if s["score"] is None else f"{s['score']}%"
        table.add_row(
            fw, score, str(s["in place"]), str(s["partial"]), str(s["missing"]), str(s["unknown"])
        )
    con.print(table)
    counts = result.severity_counts()
    line = (
        f"{len(result.inventory.assets)} asset(s), {len(result.findings)} finding(s): "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
    )
    if result.inventory.skipped:
        line += f"; {len(result.inventory.skipped)} file(s) skipped"
    if result.changes.previous_run:
        line += f"; {len(result.changes.new)} new, {len(result.changes.fixed)} fixed since last run"
    con.print(cell(line))
    if out is not None:
        con.print(cell(f"report: {out}"))
    if bom is not None:
        con.print(cell(f"AI-BOM: {bom}"))


def register(app: typer.Typer) -> None:
    app.command("assess", no_args_is_help=True)(assess)
