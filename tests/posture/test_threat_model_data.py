"""The packaged threat model: every reference resolves, every category is covered, and a
malformed model is refused with a message naming the bad field."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.core.frameworks import lookup
from aisec.core.rules import lookup as rule
from aisec.posture import ThreatModelError, load_threat_model, parse_threat_model


def _raw() -> dict[str, Any]:
    text = resources.files("aisec.posture").joinpath("threat_model.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_packaged_model_covers_every_category_and_asset_class() -> None:
    model = load_threat_model()
    assert {t.category for t in model.threats} == set(model.categories)
    assert set(model.categories.values()) == {
        "Poisoning and evasion",
        "Theft and inversion",
        "Prompt injection and excessive agency",
        "Privacy and leakage",
        "Supply chain",
    }
    covered = {k for c in model.controls for k in c.kinds}
    for name, (_, kinds) in model.asset_classes.items():
        assert set(kinds) & covered, f"asset class {name} has no control"
    for threat in model.threats:
        assert any(threat.id in c.threats for c in model.controls), threat.id


def test_every_reference_resolves_and_every_rule_is_catalogued() -> None:
    model = load_threat_model()
    frameworks = set()
    refs = [r for t in model.threats for r in t.frameworks]
    refs += [r for c in model.controls for r in c.frameworks]
    for ref in refs:
        assert lookup(ref).title
        frameworks.add(ref.framework)
    assert {"OWASP-LLM", "OWASP-AGENTIC", "ATLAS", "SAIF", "NIST-AI-RMF", "MS-AIRA"} <= frameworks
    for control in model.controls:
        if control.rule:
            assert rule(control.rule).source == "posture"


def test_microsoft_ai_security_risk_assessment_is_in_the_catalog_with_its_source() -> None:
    from aisec.core.findings import FrameworkRef

    assert lookup(FrameworkRef("MS-AIRA", "2.5")).title == "Data collection: Data integrity"
    text = resources.files("aisec.core.frameworks").joinpath("frameworks.json").read_text("utf-8")
    source = json.loads(text)["_meta"]["sources"]["microsoft_ai_security_risk_assessment"]
    assert "github.com/Azure/AI-Security-Risk-Assessment" in source


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("controls", 0, "evidence"), "vibes", "unknown evidence 'vibes'"),
        (("controls", 0, "frameworks"), ["ATLAS:AML.T9999"], "unknown ATLAS id"),
        (("controls", 0, "threats"), ["T-NOPE"], "unknown threats"),
        (("threats", 0, "category"), "weather", "unknown category 'weather'"),
        (("controls", 0, "scope"), "galaxy", "scope must be asset or project"),
    ],
)
def test_malformed_model_is_refused(path: tuple[Any, ...], value: Any, message: str) -> None:
    data = _raw()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ThreatModelError, match=message):
        parse_threat_model(data)


def test_a_threat_model_file_that_is_not_json_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "tm.json"
    bad.write_bytes(b"\x00\xff not json")
    with pytest.raises(ThreatModelError, match="not a JSON threat model"):
        load_threat_model(bad)
    bad.write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ThreatModelError, match="not a JSON threat model"):
        load_threat_model(bad)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_damage_is_a_threat_model_error_never_a_crash(data: st.DataObject) -> None:
    doc = _raw()
    paths = _paths(doc)[1:]
    path = data.draw(st.sampled_from(paths))
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(_JSON)
    try:
        model = parse_threat_model(doc)
    except ThreatModelError as exc:
        assert exc.message  # a message that names what is wrong
    else:
        assert isinstance(model.controls, tuple)  # damage that still parses is a model
