"""Render findings as a table (rich), stable JSON, or SARIF 2.1.0; decide the exit code."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from aisec import __version__
from aisec.core.errors import ExitCode
from aisec.core.findings import Finding, Severity

__all__ = ["OutputFormat", "exit_code_for", "render", "to_json", "to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_INFO_URI = "https://github.com/aisec-project/aisec"

# GitHub code scanning reads properties["security-severity"] as a CVSS-like score.
_SARIF_LEVEL = {
    Severity.CRITICAL: ("error", "9.5"),
    Severity.HIGH: ("error", "8.0"),
    Severity.MEDIUM: ("warning", "5.5"),
    Severity.LOW: ("note", "3.0"),
    Severity.INFO: ("note", "0.0"),
}
_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


class OutputFormat(StrEnum):
    """Output formats every findings-reporting command offers."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"


def exit_code_for(findings: Iterable[Finding], fail_on: Severity | None) -> ExitCode:
    """1 when any finding is at or above ``fail_on``; else 0. ``None`` never fails."""
    if fail_on is None:
        return ExitCode.CLEAN
    return ExitCode.FINDINGS if any(f.severity >= fail_on for f in findings) else ExitCode.CLEAN


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for f in findings:
        counts[f.severity.value] += 1
    counts["total"] = len(findings)
    return counts


def to_json(findings: Sequence[Finding], **extra: Any) -> str:
    """``{"findings": [...], "summary": {...}, **extra}``, keys sorted, stable across runs."""
    doc: dict[str, Any] = {
        "findings": [f.to_dict() for f in findings],
        "summary": summary(findings),
    }
    doc.update(extra)
    return json.dumps(doc, indent=2, sort_keys=True)


def to_sarif(findings: Sequence[Finding], tool: str = "aisec") -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; rules are the distinct rule ids."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for f in findings:
        level, score = _SARIF_LEVEL[f.severity]
        if f.rule_id not in rules:
            rules[f.rule_id] = {
                "id": f.rule_id,
                "name": f.rule_id.replace("-", " ").title().replace(" ", ""),
                "shortDescription": {"text": f.title},
                "help": {"text": f.remediation or f.title},
                "properties": {
                    "security-severity": score,
                    "tags": ["security", *(str(r) for r in f.frameworks)],
                },
            }
        result: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": list(rules).index(f.rule_id),
            "level": level,
            "message": {"text": f"{f.title}: {f.evidence}" if f.evidence else f.title},
            "properties": {
                "severity": f.severity.value,
                "asset": f.asset,
                "frameworks": [str(r) for r in f.frameworks],
            },
        }
        loc = f.location
        if loc.path:
            physical: dict[str, Any] = {"artifactLocation": {"uri": loc.path}}
            region: dict[str, Any] = {}
            if loc.line is not None and loc.line >= 1:
                region["startLine"] = loc.line
            if loc.offset is not None and loc.offset >= 0:
                region["byteOffset"] = loc.offset
            if region:
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
            if loc.pointer:
                result["locations"][0]["logicalLocations"] = [{"fullyQualifiedName": loc.pointer}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": __version__,
                        "informationUri": _INFO_URI,
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }


def to_table(findings: Sequence[Finding], title: str = "Findings") -> Any:
    """A rich Table (rendered by the caller's console)."""
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in ("severity", "rule", "title", "location", "evidence"):
        table.add_column(col, overflow="fold")
    ordered = sorted(findings, key=lambda f: f.severity, reverse=True)
    for f in ordered:
        table.add_row(
            f"[{_STYLE[f.severity]}]{f.severity.value}[/]",
            f.rule_id,
            f.title,
            str(f.location),
            f.evidence,
        )
    return table


def render(findings: Sequence[Finding], fmt: OutputFormat, *, title: str = "Findings") -> str:
    """Render to a string (table rendered without colour when the output is not a TTY)."""
    if fmt is OutputFormat.JSON:
        return to_json(findings)
    if fmt is OutputFormat.SARIF:
        return json.dumps(to_sarif(findings), indent=2)
    from rich.console import Console

    console = Console(record=True, width=120, force_terminal=False)
    with console.capture() as cap:
        if findings:
            console.print(to_table(findings, title))
        counts = summary(findings)
        console.print(
            f"{counts['total']} finding(s): "
            + ", ".join(f"{counts[s.value]} {s.value}" for s in reversed(Severity))
        )
    return cap.get()
