"""What the analysers add to while the tree is walked: assets, findings, skipped files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aisec.core.findings import Finding, Location
from aisec.core.rules import lookup
from aisec.inventory._model import Asset, Skipped

__all__ = ["Found", "rule_finding"]


def rule_finding(
    rule_id: str,
    path: str,
    line: int | None,
    evidence: str,
    *,
    asset: str = "",
    title: str | None = None,
) -> Finding:
    """A Finding with its catalogued title, severity, frameworks and remediation."""
    return lookup(rule_id).finding(
        asset or path,
        evidence=evidence[:200],
        location=Location(path=path, line=line),
        title=title,
    )


@dataclass(slots=True)
class Found:
    """The accumulator one inventory run fills."""

    assets: list[Asset] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def asset(
        self,
        kind: str,
        path: str,
        line: int | None,
        name: str,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.assets.append(Asset(kind, path, line, name, dict(details or {})))

    def finding(self, finding: Finding) -> None:
        self.findings.append(finding)

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append(Skipped(path, reason))
