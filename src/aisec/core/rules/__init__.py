"""The rule catalog: every rule id an aisec check can emit, with its title, default
severity, framework references and remediation.

The data is ``rules.json`` shipped in this package. Rule ids are kebab-case and name the
stage or format first (``guard-pii-email``, ``pickle-dangerous-call``,
``audit-event-altered``); tests check that every id the code can emit is here and that
every framework reference resolves in :mod:`aisec.core.frameworks`::

    from aisec.core.rules import lookup
    rule = lookup("guard-prompt-injection-override")
    rule.severity, [str(ref) for ref in rule.frameworks]

A Finding carries its own title and severity (a check may raise the severity for one
case); the catalog holds the rule's defaults, for reports, SARIF rule metadata and
``aisec rules list``.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from aisec.core.errors import AisecError, ExitCode, InputError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity

__all__ = ["RULE_ID", "Rule", "UnknownRuleError", "all_rules", "lookup"]

RULE_ID = re.compile(r"(?<![a-z0-9-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+")
"""The shape of every rule id: kebab-case, at least two words."""

SOURCES = (
    "guard",
    "artifacts",
    "core",
    "inventory",
    "supplychain",
    "posture",
    "data",
    "monitor",
    "redteam",
    "robustness",
)


class UnknownRuleError(InputError):
    """A rule id that is not in the catalog."""


class RuleCatalogError(AisecError):
    """The shipped ``rules.json`` is malformed (a packaging bug, not a user error)."""

    exit_code = ExitCode.INTERNAL


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: ``source`` is the package whose checks emit it (guard, artifacts, core)."""

    id: str
    title: str
    severity: Severity
    frameworks: tuple[FrameworkRef, ...]
    remediation: str
    source: str

    def finding(
        self,
        asset: str = "",
        *,
        evidence: str = "",
        location: Location | None = None,
        title: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A Finding of this rule, with its catalogued title, severity, frameworks and
        remediation (``title`` and ``severity`` override the catalogue's for one finding)."""
        return Finding(
            rule_id=self.id,
            title=title or self.title,
            severity=severity or self.severity,
            asset=asset,
            location=location or Location(),
            evidence=evidence,
            frameworks=self.frameworks,
            remediation=self.remediation,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "frameworks": [str(ref) for ref in self.frameworks],
            "remediation": self.remediation,
            "source": self.source,
        }


def _rule(raw: Any, index: int) -> Rule:
    where = f"rules.json: rules[{index}]"
    if not isinstance(raw, dict):
        raise RuleCatalogError(f"{where}: expected an object")
    try:
        rule_id, title, severity = raw["id"], raw["title"], raw["severity"]
        refs, remediation, source = raw["frameworks"], raw["remediation"], raw["source"]
    except KeyError as exc:
        raise RuleCatalogError(f"{where}: field {exc.args[0]!r} is missing") from None
    texts = (rule_id, title, severity, remediation, source)
    if not all(isinstance(v, str) for v in texts) or not isinstance(refs, list):
        raise RuleCatalogError(f"{where}: id, title, severity, remediation, source are text")
    if RULE_ID.fullmatch(rule_id) is None:
        raise RuleCatalogError(f"{where}: id {rule_id!r} is not kebab-case")
    if source not in SOURCES:
        raise RuleCatalogError(f"{where}: source {source!r}: expected one of {SOURCES}")
    try:
        return Rule(
            rule_id,
            title,
            Severity.parse(severity),
            tuple(FrameworkRef.parse(str(r)) for r in refs),
            remediation,
            source,
        )
    except InputError as exc:
        raise RuleCatalogError(f"{where} ({rule_id}): {exc.message}") from None


@cache
def _catalog() -> dict[str, Rule]:
    text = resources.files(__package__).joinpath("rules.json").read_text("utf-8")
    raw = json.loads(text).get("rules")
    if not isinstance(raw, list):
        raise RuleCatalogError("rules.json: expected a list under 'rules'")
    out: dict[str, Rule] = {}
    for index, item in enumerate(raw):
        rule = _rule(item, index)
        if rule.id in out:
            raise RuleCatalogError(f"rules.json: rule {rule.id!r} is listed twice")
        out[rule.id] = rule
    return dict(sorted(out.items()))


def lookup(rule_id: str) -> Rule:
    """The rule called ``rule_id``; an unknown id raises :class:`UnknownRuleError` (an
    ``InputError``) naming the closest known ids."""
    catalog = _catalog()
    rule = catalog.get(rule_id)
    if rule is None:
        near = difflib.get_close_matches(rule_id, list(catalog), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise UnknownRuleError(f"unknown rule id {rule_id[:120]!r}{hint}")
    return rule


def all_rules(source: str | None = None) -> tuple[Rule, ...]:
    """Every rule, sorted by id (or those of one source: guard, artifacts, core, posture)."""
    if source is not None and source not in SOURCES:
        raise InputError(f"unknown rule source {source!r}: expected one of {', '.join(SOURCES)}")
    return tuple(r for r in _catalog().values() if source is None or r.source == source)
