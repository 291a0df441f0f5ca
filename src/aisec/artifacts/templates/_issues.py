"""What the template checks report: one issue type, and the text search used when a
template cannot be parsed. Shared by the handler (``_check``) and the AST walk (``_ast``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aisec.core.findings import Severity

__all__ = ["TemplateIssue", "fallback_issues"]

# Used only when jinja2 cannot parse the text, and only inside {{ }} / {% %} delimiters:
# the steps of an SSTI chain, not the dunders any C or Python code is full of.
_FALLBACK = re.compile(
    r"__(?:class|mro|base|bases|subclasses|globals|builtins|import)__|\|\s*attr\b|"
    r"\b(?:lipsum|cycler|joiner|_TemplateReference__context)\b"
)
_DELIMITED = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


@dataclass(frozen=True, slots=True)
class TemplateIssue:
    """One problem in one template; ``kind`` becomes the rule suffix (``ssti`` ...)."""

    kind: str
    severity: Severity
    evidence: str
    line: int | None = None


def fallback_issues(source: str) -> list[TemplateIssue]:
    """Text search used when the parser cannot judge the template (parser differentials)."""
    for tag in _DELIMITED.finditer(source):
        m = _FALLBACK.search(tag[0])
        if m is not None:
            line = source.count("\n", 0, tag.start()) + 1
            evidence = f"unparsed template contains {m[0]!r}"
            return [TemplateIssue("ssti", Severity.CRITICAL, evidence, line)]
    return []
