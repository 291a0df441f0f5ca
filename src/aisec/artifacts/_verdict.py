"""The four verdicts of a scanned file, in one enum that knows their order."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from aisec.core.findings import Finding, Severity

__all__ = ["Verdict", "verdict_of"]


class Verdict(StrEnum):
    """clean < suspicious < error < malicious: a container takes the worst of its members.

    ``error`` ranks above ``suspicious`` because content that could not be judged may hold
    anything; only a proven ``malicious`` ranks higher. Members are strings (``"clean"``),
    so JSON and comparisons with text keep working; ``<``, ``max`` … follow the rank.
    """

    CLEAN = "clean"
    SUSPICIOUS = "suspicious"
    ERROR = "error"
    MALICIOUS = "malicious"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        return _RANK[self] < _RANK[Verdict(other)] if isinstance(other, str) else NotImplemented

    def __le__(self, other: object) -> bool:
        return _RANK[self] <= _RANK[Verdict(other)] if isinstance(other, str) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return _RANK[self] > _RANK[Verdict(other)] if isinstance(other, str) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return _RANK[self] >= _RANK[Verdict(other)] if isinstance(other, str) else NotImplemented


_RANK: dict[Verdict, int] = {v: i for i, v in enumerate(Verdict)}


def verdict_of(findings: Iterable[Finding], error: str | None = None) -> Verdict:
    """malicious (any high/critical finding) > error > suspicious (low/medium) > clean."""
    worst = max((f.severity for f in findings), default=None)
    if worst is not None and worst >= Severity.HIGH:
        return Verdict.MALICIOUS
    if error is not None:
        return Verdict.ERROR
    if worst is not None and worst >= Severity.LOW:
        return Verdict.SUSPICIOUS
    return Verdict.CLEAN
