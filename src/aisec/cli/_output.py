"""The CLI's output layer: shared options, the one findings emitter, tables, the JSON
envelope and the exit code.

Every findings-reporting command (``scan``, ``guard scan``, ``audit verify``) prints
through :func:`emit_findings`, so table, JSON and SARIF output and the exit code mean the
same everywhere. Text that did not come from aisec reaches the terminal only through
:func:`cell` (a ``rich.text.Text``, so no markup is interpreted, built from
:func:`aisec.cli._text.visible`, so no control character acts); the consoles made here
have markup, emoji and highlighting off, so even a plain string cannot restyle the output.
Finding evidence passes the guard's secret detectors before it is shown in any format.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aisec import __version__
from aisec.cli._text import visible
from aisec.core.errors import ExitCode
from aisec.core.findings import Finding, Severity

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table
    from rich.text import Text

__all__ = [
    "JSON_SCHEMA_VERSION",
    "FailOnOpt",
    "FormatOpt",
    "OutputFormat",
    "QuietOpt",
    "TableJsonFormat",
    "TableJsonOpt",
    "cell",
    "console",
    "dump_json",
    "emit_findings",
    "exit_code_for",
    "findings_document",
    "findings_table",
    "parse_fail_on",
    "severity_counts",
]

JSON_SCHEMA_VERSION = 1
"""Version of the findings JSON envelope (``schema_version``); see docs/json-output.md."""

_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_NON_TTY_WIDTH = 120


class OutputFormat(StrEnum):
    """Output formats every findings-reporting command offers."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"


class TableJsonFormat(StrEnum):
    """Output formats of commands that list things other than findings (no SARIF)."""

    TABLE = "table"
    JSON = "json"


FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format", "-f", help="table (default), json (the versioned envelope) or sarif (2.1.0)."
    ),
]
TableJsonOpt = Annotated[TableJsonFormat, typer.Option("--format", "-f", help="table or json.")]
FailOnOpt = Annotated[
    str,
    typer.Option(
        "--fail-on",
        metavar="SEVERITY",
        help="Exit 1 when a finding is at or above SEVERITY: info, low, medium, high, "
        "critical, or never.",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing; exit code only.")]


def parse_fail_on(value: str) -> Severity | None:
    """``never`` → None; otherwise the severity (a clear error names the choices)."""
    text = str(value)
    return None if text.strip().lower() == "never" else Severity.parse(text)


def exit_code_for(findings: Iterable[Finding], fail_on: Severity | None) -> ExitCode:
    """1 when any finding is at or above ``fail_on``; else 0. ``None`` never fails."""
    if fail_on is None:
        return ExitCode.CLEAN
    return ExitCode.FINDINGS if any(f.severity >= fail_on for f in findings) else ExitCode.CLEAN


def severity_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """``{"critical": n, …, "info": n, "total": n}``."""
    counts = {s.value: 0 for s in Severity}
    for f in findings:
        counts[f.severity.value] += 1
    counts["total"] = len(findings)
    return counts


# -- text on a terminal ----------------------------------------------------------------


def cell(text: object, style: str = "") -> Text:
    """Untrusted ``text`` as a rich ``Text``: no markup read, control characters shown."""
    from rich.text import Text

    return Text(visible(text), style=style)


def _width() -> int:
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and 40 <= int(columns) <= 1000 else _NON_TTY_WIDTH


def console(*, stderr: bool = False) -> Console:
    """A console that reads no markup, emoji codes or highlighting in what it prints;
    colour only on a terminal; off a terminal, $COLUMNS or 120 columns wide."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(
        file=stream,
        width=None if tty else _width(),
        force_terminal=tty,
        no_color=not tty,
        markup=False,
        emoji=False,
        highlight=False,
    )


# -- findings --------------------------------------------------------------------------


def _shown(findings: Sequence[Finding]) -> list[Finding]:
    """Findings as they may be shown: evidence passed through the secret detectors."""
    from aisec.cli._redact import redact_secrets

    out: list[Finding] = []
    for f in findings:
        evidence = redact_secrets(f.evidence)
        out.append(f if evidence == f.evidence else dataclasses.replace(f, evidence=evidence))
    return out


def findings_table(findings: Sequence[Finding], title: str = "Findings") -> Table:
    """A rich Table of findings, most severe first, every cell escaped."""
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in ("severity", "rule", "title", "location", "evidence"):
        table.add_column(col, overflow="fold")
    for f in sorted(findings, key=lambda f: f.severity, reverse=True):
        table.add_row(
            cell(f.severity.value, _STYLE[f.severity]),
            cell(f.rule_id),
            cell(f.title),
            cell(f.location),
            cell(f.evidence),
        )
    return table


def findings_document(
    command: str, findings: Sequence[Finding], extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The versioned JSON envelope (src/aisec/cli/schemas/findings.schema.json)."""
    doc: dict[str, Any] = dict(extra or {})
    doc.update(
        schema_version=JSON_SCHEMA_VERSION,
        tool={"name": "aisec", "version": __version__},
        command=command,
        findings=[f.to_dict() for f in findings],
        summary=severity_counts(findings),
    )
    return doc


def dump_json(doc: Any) -> None:
    """Print ``doc`` as JSON: sorted keys, ASCII only (control characters escaped)."""
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True) + "\n")


def emit_findings(
    findings: Sequence[Finding],
    fmt: OutputFormat,
    fail_on: str,
    quiet: bool = False,
    *,
    command: str,
    title: str = "Findings",
    extra: Mapping[str, Any] | None = None,
    before: Sequence[RenderableType] = (),
    after: Sequence[RenderableType] = (),
) -> ExitCode:
    """Print findings in ``fmt`` (unless quiet) and return the exit code --fail-on asks for.

    ``extra`` adds command-specific keys to the JSON envelope; ``before``/``after`` are
    printed around the findings table (table format only).
    """
    threshold = parse_fail_on(fail_on)
    if not quiet:
        shown = _shown(findings)
        if fmt is OutputFormat.JSON:
            dump_json(findings_document(command, shown, extra))
        elif fmt is OutputFormat.SARIF:
            from aisec.cli._sarif import to_sarif

            dump_json(to_sarif(shown))
        else:
            out = console()
            for item in before:
                out.print(item)
            if shown:
                out.print(findings_table(shown, title))
            counts = severity_counts(shown)
            out.print(
                cell(
                    f"{counts['total']} finding(s): "
                    + ", ".join(f"{counts[s.value]} {s.value}" for s in reversed(Severity))
                )
            )
            for item in after:
                out.print(item)
    return exit_code_for(findings, threshold)
