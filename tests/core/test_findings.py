from __future__ import annotations

import pytest

from aisec.core.errors import InputError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity, max_severity
from aisec.core.frameworks import FRAMEWORKS, entries, lookup


def test_severity_is_ordered() -> None:
    order = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
    assert sorted([order[3], order[0], order[4], order[2], order[1]]) == order
    assert Severity.HIGH >= Severity.MEDIUM
    assert Severity.parse(" Critical ") is Severity.CRITICAL


def test_unknown_severity_names_the_choices() -> None:
    with pytest.raises(InputError, match="expected one of info, low, medium, high, critical"):
        Severity.parse("urgent")


def test_framework_ref_resolves_to_catalog_title() -> None:
    assert FrameworkRef("ATLAS", "AML.T0051").title == "LLM Prompt Injection"
    assert FrameworkRef.parse("OWASP-LLM:LLM03:2025").title == "Supply Chain"
    assert lookup(FrameworkRef("OWASP-LLM", "LLM01")).id == "LLM01:2025"


@pytest.mark.parametrize(
    "ref", ["ATLAS:AML.T9999", "OWASP-LLM:LLM99:2025", "NOPE:X1", "SAIF:notARisk"]
)
def test_unknown_framework_id_is_an_error(ref: str) -> None:
    with pytest.raises(InputError):
        lookup(FrameworkRef.parse(ref))


def test_every_framework_has_entries() -> None:
    for name in FRAMEWORKS:
        assert entries(name), name


def test_finding_round_trips_through_dict() -> None:
    f = Finding(
        rule_id="pickle-dangerous-global",
        title="Pickle calls os.system",
        severity=Severity.CRITICAL,
        asset="model.pkl",
        location=Location(path="model.pkl", offset=12),
        evidence="os.system",
        frameworks=(FrameworkRef("ATLAS", "AML.T0011.000"),),
        remediation="Do not load this file.",
    )
    assert Finding.from_dict(f.to_dict()) == f
    assert max_severity([f]) is Severity.CRITICAL
    assert max_severity([]) is None
