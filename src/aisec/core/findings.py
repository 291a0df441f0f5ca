"""Finding, Severity and FrameworkRef: the one result type of every check in aisec."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aisec.core.errors import InputError

__all__ = ["Finding", "FrameworkRef", "Location", "Severity", "max_severity"]

_ORDER = ("info", "low", "medium", "high", "critical")


class Severity(Enum):
    """Ordered severity: info < low < medium < high < critical."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    # All four comparisons on a precomputed rank: every scanned file and archive member
    # takes a verdict by comparing severities, and total_ordering's derived ones are slow.
    def __lt__(self, other: object) -> bool:
        return _RANKS[self] < _RANKS[other] if isinstance(other, Severity) else NotImplemented

    def __le__(self, other: object) -> bool:
        return _RANKS[self] <= _RANKS[other] if isinstance(other, Severity) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return _RANKS[self] > _RANKS[other] if isinstance(other, Severity) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return _RANKS[self] >= _RANKS[other] if isinstance(other, Severity) else NotImplemented

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a severity name, case-insensitively; a clear error names the choices."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise InputError(
                f"unknown severity {text!r}: expected one of {', '.join(_ORDER)}"
            ) from None


_RANKS = {severity: _ORDER.index(severity.value) for severity in Severity}


@dataclass(frozen=True, slots=True, order=True)
class FrameworkRef:
    """A reference into a security framework, e.g. ``ATLAS:AML.T0051.000``.

    Frameworks: ``OWASP-LLM``, ``OWASP-AGENTIC``, ``ATLAS``, ``SAIF``, ``NIST-AI-RMF``,
    ``NIST-AML``, ``COSAI``, ``MS-AIRA``. ``title`` resolves through the shipped catalog.
    """

    framework: str
    id: str

    @classmethod
    def parse(cls, text: str) -> FrameworkRef:
        framework, sep, ident = text.partition(":")
        if not sep or not framework or not ident:
            raise InputError(f"framework reference {text!r}: expected FRAMEWORK:ID")
        return cls(framework.strip(), ident.strip())

    @property
    def title(self) -> str:
        from aisec.core.frameworks import lookup

        return lookup(self).title

    def __str__(self) -> str:
        return f"{self.framework}:{self.id}"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points: any of a path, line, byte offset, JSON pointer and rows.

    ``rows`` are 0-based row indexes of a data set (a data check's finding about rows)."""

    path: str | None = None
    line: int | None = None
    offset: int | None = None
    pointer: str | None = None
    rows: tuple[int, ...] | None = None

    def __str__(self) -> str:
        parts = [self.path or ""]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.offset is not None:
            parts.append(f"offset {self.offset}")
        if self.pointer:
            parts.append(self.pointer)
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:5])
            more = f" (+{len(self.rows) - 5} more)" if len(self.rows) > 5 else ""
            parts.append(f"rows {shown}{more}")
        return " ".join(p for p in parts if p) or "-"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: v
            for k, v in (
                ("path", self.path),
                ("line", self.line),
                ("offset", self.offset),
                ("pointer", self.pointer),
            )
            if v is not None
        }
        if self.rows is not None:
            out["rows"] = list(self.rows)
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of one check.

    ``evidence`` is short and never holds a secret or raw PII: checkers redact first.
    """

    rule_id: str
    title: str
    severity: Severity
    asset: str = ""
    location: Location = field(default_factory=Location)
    evidence: str = ""
    frameworks: tuple[FrameworkRef, ...] = ()
    remediation: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape of a finding (documented in docs/json-output.md)."""
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity.value,
            "asset": self.asset,
            "location": self.location.to_dict(),
            "evidence": self.evidence,
            "frameworks": [str(f) for f in self.frameworks],
            "remediation": self.remediation,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        loc = dict(data.get("location") or {})
        if loc.get("rows") is not None:
            loc["rows"] = tuple(int(r) for r in loc["rows"])
        return cls(
            rule_id=str(data["rule_id"]),
            title=str(data["title"]),
            severity=Severity.parse(str(data["severity"])),
            asset=str(data.get("asset", "")),
            location=Location(**loc),
            evidence=str(data.get("evidence", "")),
            frameworks=tuple(FrameworkRef.parse(f) for f in data.get("frameworks", ())),
            remediation=str(data.get("remediation", "")),
        )


def max_severity(findings: Iterable[Finding]) -> Severity | None:
    """The highest severity among ``findings``, or None when there are none."""
    return max((f.severity for f in findings), default=None)
