from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from aisec.cli._output import OutputFormat as OutputFormat
from aisec.cli._output import emit_findings, exit_code_for, findings_document, findings_table
from aisec.cli._sarif import to_sarif
from aisec.core.errors import ExitCode
from aisec.core.findings import Finding, FrameworkRef, Location, Severity

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def render(findings: list[Finding], fmt: OutputFormat, capsys: pytest.CaptureFixture[str]) -> str:
    emit_findings(findings, fmt, "never", command="scan")
    return capsys.readouterr().out


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


def test_sarif_output_validates_against_the_official_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    schema = json.loads(SCHEMA.read_text())
    doc = json.loads(render(_sample(), OutputFormat.SARIF, capsys))
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


def test_json_output_is_stable_and_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(render(_sample(), OutputFormat.JSON, capsys))
    assert set(doc) == {"schema_version", "tool", "command", "findings", "summary"}
    assert doc == findings_document("scan", _sample())
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
    first = render(_sample(), OutputFormat.JSON, capsys)
    assert first == render(_sample(), OutputFormat.JSON, capsys)


def test_table_output_names_each_rule(capsys: pytest.CaptureFixture[str]) -> None:
    text = render(_sample(), OutputFormat.TABLE, capsys)
    assert "pickle-dangerous-global" in text
    assert "3 finding(s): 1 critical, 0 high, 0 medium, 1 low, 1 info" in text


def test_table_lists_most_severe_first() -> None:
    table = findings_table(list(reversed(_sample())))
    severities = [str(c) for c in table.columns[0].cells]
    assert severities == ["critical", "low", "info"]


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
