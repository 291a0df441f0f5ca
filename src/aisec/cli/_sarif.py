"""Findings as a SARIF 2.1.0 log (validated against the OASIS schema in the tests)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from aisec import __version__
from aisec.core.findings import Finding, Severity

__all__ = ["SARIF_SCHEMA", "sarif_rule", "to_sarif"]

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


def sarif_rule(finding: Finding) -> dict[str, Any]:
    """The ``tool.driver.rules`` entry for ``finding``'s rule: the one place SARIF rule
    metadata is built. Title, help, default severity and framework tags come from the rule
    catalog (``aisec.core.rules``); a rule the catalog does not know (a plugin's) is
    described by its first finding instead."""
    from aisec.core.rules import UnknownRuleError, lookup

    try:
        rule = lookup(finding.rule_id)
    except UnknownRuleError:
        title, remediation = finding.title, finding.remediation or finding.title
        severity, frameworks = finding.severity, finding.frameworks
    else:
        title, remediation = rule.title, rule.remediation or rule.title
        severity, frameworks = rule.severity, rule.frameworks
    _, score = _SARIF_LEVEL[severity]
    return {
        "id": finding.rule_id,
        "name": finding.rule_id.replace("-", " ").replace(".", " ").title().replace(" ", ""),
        "shortDescription": {"text": title},
        "help": {"text": remediation},
        "properties": {
            "security-severity": score,
            "tags": ["security", *(str(r) for r in frameworks)],
        },
    }


def _uri(path: str) -> str:
    # A URI reference, not a raw path: spaces, brackets, '%' and a ':' that would read as
    # a scheme ("model.zip:member.pkl") are percent-encoded.
    return quote(path, safe="/")


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    level, _ = _SARIF_LEVEL[f.severity]
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": f"{f.title}: {f.evidence}" if f.evidence else f.title},
        "properties": {
            "severity": f.severity.value,
            "asset": f.asset,
            "frameworks": [str(r) for r in f.frameworks],
        },
    }
    loc = f.location
    if loc.rows is not None:
        result["properties"]["rows"] = list(loc.rows)
    location: dict[str, Any] = {}
    if loc.path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path)}}
        region: dict[str, Any] = {}
        if loc.line is not None and loc.line >= 1:
            region["startLine"] = loc.line
        if loc.offset is not None and loc.offset >= 0:
            region["byteOffset"] = loc.offset
        if region:
            physical["region"] = region
        location["physicalLocation"] = physical
    if loc.pointer:
        location["logicalLocations"] = [{"fullyQualifiedName": loc.pointer}]
    if location:
        result["locations"] = [location]
    return result


def to_sarif(findings: Sequence[Finding], tool: str = "aisec") -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; ``rules`` holds each distinct rule id once."""
    rules: dict[str, dict[str, Any]] = {}
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for f in findings:
        if f.rule_id not in rules:
            index[f.rule_id] = len(rules)
            rules[f.rule_id] = sarif_rule(f)
        results.append(_result(f, index[f.rule_id]))
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
