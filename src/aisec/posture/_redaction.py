"""Credentials out of everything posture stores or shows: finding evidence and asset
details (an MCP server's arguments, a URL) pass a secret redactor first."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aisec.core.findings import Finding
from aisec.posture._evaluate import InventoryLike, SkippedLike

__all__ = ["CleanAsset", "CleanInventory", "Redactor", "default_redactor", "scrubbed"]

Redactor = Callable[[str], str]
# details aisec computes itself (never text from the tree): not worth a secret scan each
_COMPUTED = frozenset({"sha256", "format", "verdict", "signature", "signature_file"})


@dataclass(frozen=True, slots=True)
class CleanAsset:
    """An inventory asset whose details passed the redactor."""

    kind: str
    path: str
    line: int | None
    name: str
    details: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CleanInventory:
    """An inventory whose asset details and finding evidence passed the redactor."""

    root: str
    assets: Sequence[CleanAsset]
    findings: Sequence[Finding]
    summary: Mapping[str, Any]
    skipped: Sequence[SkippedLike]


def default_redactor() -> Redactor:
    """The guard's secret redactor (``<SECRET:kind>`` for each credential it finds)."""
    from aisec.guard import redact_secrets

    return redact_secrets


def _scrub(value: Any, redact: Redactor) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_scrub(v, redact) for v in value]
    if isinstance(value, Mapping):
        return {k: _scrub(v, redact) for k, v in value.items()}
    return value


def clean_findings(findings: Sequence[Finding], redact: Redactor) -> list[Finding]:
    out = []
    for f in findings:
        evidence = redact(f.evidence)
        out.append(f if evidence == f.evidence else dataclasses.replace(f, evidence=evidence))
    return out


def _memo(redact: Redactor) -> Redactor:
    """``redact`` asked once per distinct text (details repeat: SDK names, calls, verdicts)."""
    seen: dict[str, str] = {}

    def once(text: str) -> str:
        out = seen.get(text)
        if out is None:
            out = seen[text] = redact(text)
        return out

    return once


def scrubbed(inv: InventoryLike, redact: Redactor) -> CleanInventory:
    """``inv`` with every string in asset details and finding evidence redacted."""
    redact = _memo(redact)
    return CleanInventory(
        root=inv.root,
        assets=[
            CleanAsset(
                a.kind,
                a.path,
                a.line,
                a.name,
                {
                    k: v
                    if k in _COMPUTED and isinstance(v, str) and len(v) <= 128
                    else _scrub(v, redact)
                    for k, v in a.details.items()
                },
            )
            for a in inv.assets
        ],
        findings=clean_findings(inv.findings, redact),
        summary=dict(inv.summary),
        skipped=list(inv.skipped),
    )
