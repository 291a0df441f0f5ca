"""How the non-pickle format handlers phrase a Finding: one factory, one framework mapping.

Every artifact finding maps to ATLAS "User Execution: Unsafe AI Artifacts" (AML.T0011.000),
"AI Supply Chain Compromise: Model" (AML.T0010.003) and OWASP LLM03:2025 (Supply Chain).
"""

from __future__ import annotations

from aisec.core.findings import Finding, FrameworkRef, Location, Severity

__all__ = ["ARTIFACT_REFS", "format_finding", "short"]

ARTIFACT_REFS: tuple[FrameworkRef, ...] = (
    FrameworkRef("ATLAS", "AML.T0011.000"),
    FrameworkRef("ATLAS", "AML.T0010.003"),
    FrameworkRef("OWASP-LLM", "LLM03:2025"),
)

_EVIDENCE_MAX = 200


def short(text: str, limit: int = _EVIDENCE_MAX) -> str:
    """``text`` made printable and cut to ``limit`` characters (evidence stays short)."""
    clean = (
        text  # nearly always: one C-level test instead of a Python step per character
        if text.isprintable()
        else "".join(ch if ch.isprintable() else "\\x%02x" % (ord(ch) & 0xFF) for ch in text)
    )
    return clean if len(clean) <= limit else clean[: limit - 1] + "\u2026"


def format_finding(
    rule_id: str,
    title: str,
    severity: Severity,
    path: str,
    evidence: str,
    remediation: str,
    *,
    offset: int | None = None,
    pointer: str | None = None,
) -> Finding:
    """A Finding about the artifact at ``path`` with the shared framework references."""
    return Finding(
        rule_id=rule_id,
        title=title,
        severity=severity,
        asset=path,
        location=Location(path=path, offset=offset, pointer=pointer),
        evidence=short(evidence),
        frameworks=ARTIFACT_REFS,
        remediation=remediation,
    )
