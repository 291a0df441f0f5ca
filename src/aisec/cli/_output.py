"""Shared CLI options and output: --format, --fail-on, --quiet, and findings rendering."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from aisec.core.errors import ExitCode
from aisec.core.findings import Finding, Severity
from aisec.core.render import OutputFormat, exit_code_for, render

__all__ = ["FailOnOpt", "FormatOpt", "QuietOpt", "emit_findings", "parse_fail_on"]

FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format: table, json or sarif.")
]
FailOnOpt = Annotated[
    str,
    typer.Option(
        "--fail-on",
        help="Exit 1 when a finding is at or above this severity "
        "(info|low|medium|high|critical|never).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing; exit code only.")]


def parse_fail_on(text: str) -> Severity | None:
    return None if text.strip().lower() == "never" else Severity.parse(text)


def emit_findings(
    findings: Sequence[Finding],
    fmt: OutputFormat,
    fail_on: str,
    quiet: bool = False,
    title: str = "Findings",
) -> ExitCode:
    """Print findings in ``fmt`` (unless quiet) and return the exit code --fail-on asks for."""
    threshold = parse_fail_on(fail_on)
    if not quiet:
        if fmt is OutputFormat.TABLE and sys.stdout.isatty():
            from rich.console import Console

            from aisec.core.render import to_table

            console = Console()
            if findings:
                console.print(to_table(findings, title))
            else:
                console.print("[green]no findings[/]")
        else:
            sys.stdout.write(render(findings, fmt, title=title))
            if fmt is not OutputFormat.TABLE:
                sys.stdout.write("\n")
    return exit_code_for(findings, threshold)
