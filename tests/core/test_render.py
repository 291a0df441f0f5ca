from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from aisec.core.errors import ExitCode
from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.core.render import OutputFormat, exit_code_for, render, to_sarif

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def _sample() -> list[Finding]:
    return [
        Finding(
            rule_id="pickle-dangerous-global",
            title="Pickle imports os.system",
            severity=Severity.CRITICAL,
            asset="models/evil.pkl",
            location=Location(path="models/evil.pkl", offset=17),
            evidence="GLOBAL os.system -> REDUCE",
            frameworks=(
                FrameworkRef("ATLAS", "AML.T0011.000"),
                FrameworkRef("OWASP-LLM", "LLM03:2025"),
            ),
            remediation="Do not load; rebuild the model from a trusted source.",
        ),
        Finding(
            rule_id="policy-owner-missing",
            title="Asset has no owner",
            severity=Severity.LOW,
            location=Location(path="aisec.yaml", line=12, pointer="/assets/0"),
        ),
        Finding(rule_id="note", title="No location at all", severity=Severity.INFO),
    ]


def test_sarif_output_validates_against_the_official_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    doc = json.loads(render(_sample(), OutputFormat.SARIF))
    jsonschema.Draft4Validator(schema).validate(doc)
    results = doc["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == [
        "pickle-dangerous-global",
        "policy-owner-missing",
        "note",
    ]
    assert results[0]["level"] == "error"
    assert results[0]["locations"][0]["physicalLocation"]["region"]["byteOffset"] == 17


def test_sarif_rules_are_deduplicated_and_indexed() -> None:
    findings = _sample() + _sample()[:1]
    run = to_sarif(findings)["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "pickle-dangerous-global",
        "policy-owner-missing",
        "note",
    ]
    assert run["results"][3]["ruleIndex"] == 0


def test_json_output_is_stable_and_documented_shape() -> None:
    doc = json.loads(render(_sample(), OutputFormat.JSON))
    assert set(doc) == {"findings", "summary"}
    assert doc["summary"] == {
        "critical": 1,
        "high": 0,
        "medium": 0,
        "low": 1,
        "info": 1,
        "total": 3,
    }
    assert set(doc["findings"][0]) == {
        "rule_id",
        "title",
        "severity",
        "asset",
        "location",
        "evidence",
        "frameworks",
        "remediation",
    }
    assert render(_sample(), OutputFormat.JSON) == render(_sample(), OutputFormat.JSON)


def test_table_output_names_each_rule() -> None:
    text = render(_sample(), OutputFormat.TABLE)
    assert "pickle-dangerous-global" in text
    assert "3 finding(s)" in text


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [
        (Severity.CRITICAL, ExitCode.FINDINGS),
        (Severity.LOW, ExitCode.FINDINGS),
        (None, ExitCode.CLEAN),
    ],
)
def test_exit_code_follows_fail_on(fail_on: Severity | None, expected: ExitCode) -> None:
    assert exit_code_for(_sample(), fail_on) is expected


def test_exit_code_clean_below_threshold() -> None:
    low_only = [f for f in _sample() if f.severity <= Severity.LOW]
    assert exit_code_for(low_only, Severity.MEDIUM) is ExitCode.CLEAN
