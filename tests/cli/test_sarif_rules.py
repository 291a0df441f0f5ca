"""SARIF rule metadata (``tool.driver.rules``) comes from the rule catalog."""

from __future__ import annotations

from aisec.cli._sarif import to_sarif
from aisec.core.findings import Finding, Severity
from aisec.core.rules import lookup


def _rules(finding: Finding) -> list[dict[str, object]]:
    rules: list[dict[str, object]] = to_sarif([finding])["runs"][0]["tool"]["driver"]["rules"]
    return rules


def test_catalogued_rule_takes_title_help_and_tags_from_the_catalog() -> None:
    rule = lookup("pickle-dangerous-call")
    finding = Finding(
        rule_id="pickle-dangerous-call",
        title="a title only this finding has",
        severity=Severity.LOW,
        evidence="os.system",
    )
    (entry,) = _rules(finding)
    assert entry["shortDescription"] == {"text": rule.title}
    assert entry["help"] == {"text": rule.remediation or rule.title}
    tags = entry["properties"]["tags"]  # type: ignore[index]
    assert tags == ["security", *(str(f) for f in rule.frameworks)]


def test_a_plugins_unknown_rule_is_described_by_its_finding() -> None:
    finding = Finding(rule_id="plugin-own-check", title="Plugin check", severity=Severity.HIGH)
    (entry,) = _rules(finding)
    assert entry["id"] == "plugin-own-check"
    assert entry["shortDescription"] == {"text": "Plugin check"}
