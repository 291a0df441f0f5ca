"""The report renderers: self-contained HTML with every scanned string escaped, inert
Markdown, and the JSON shape."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from posture_samples import MakeInv, asset

from aisec.core.findings import Finding, Location, Severity
from aisec.posture import (
    STAGES,
    Assessment,
    Evidence,
    assess_inventory,
    load_threat_model,
    render_html,
    render_markdown,
)

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _assessment(make_inv: MakeInv) -> Assessment:
    findings = [
        Finding(
            "pickle-dangerous-call",
            "Pickle calls a dangerous function when loaded",
            Severity.CRITICAL,
            asset=f"models/{EVIL}.pkl",
            location=Location(path=f"models/{EVIL}.pkl", offset=3),
            evidence=f"posix.system('{EVIL}')",
            remediation="Do not load it.",
        )
    ]
    inv = make_inv(
        [
            asset("model_file", f"models/{EVIL}.pkl", f"{EVIL}.pkl", verdict="malicious"),
            asset("llm_call", "app/[x](javascript:alert(1)).py", "openai|chat", line=4),
        ],
        findings,
    )
    return assess_inventory(inv, Evidence(), model=load_threat_model())


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_script_in_a_file_name_and_in_evidence_is_escaped(make_inv: MakeInv) -> None:
    page = render_html(_assessment(make_inv))
    assert "<script" not in page
    assert "&lt;script&gt;alert(" in page
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert not [name for name, _ in parser.attrs if name.startswith("on")]


def test_html_is_self_contained(make_inv: MakeInv) -> None:
    page = render_html(_assessment(make_inv))
    # nothing to fetch: no external stylesheet, script, image, font or frame
    assert not re.search(r"<(link|script|iframe|object|embed)\b", page)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page  # and the page forbids loading anything itself
    assert page.count("<svg") == 1 and "<style>" in page


def test_report_sections_are_all_there(make_inv: MakeInv) -> None:
    page = render_html(_assessment(make_inv))
    for section in (
        "matrix",
        "summary",
        "scores",
        "chart",
        "threat-model",
        "findings",
        "changes",
        "inventory",
    ):
        assert f'id="{section}"' in page
    for stage in STAGES:
        assert f">{stage}</text>" in page
    assert "C-GUARD-INPUT" in page and "posture-guard-policy-missing" in page
    assert "OWASP-LLM" in page and "MS-AIRA" in page


def test_markdown_is_inert(make_inv: MakeInv) -> None:
    text = render_markdown(_assessment(make_inv))
    assert "<script>" not in text and "\\<script\\>" in text
    assert "[x](javascript" not in text and "\\[x\\]\\(javascript" in text
    assert "openai\\|chat" in text  # a pipe cannot break the table
    assert "## Threat model" in text and "## Score per framework" in text


def test_json_shape(make_inv: MakeInv) -> None:
    doc = _assessment(make_inv).to_dict()
    assert set(doc) == {
        "root",
        "run_id",
        "created",
        "policy_files",
        "scores",
        "controls",
        "control_status",
        "matrix",
        "stages",
        "inventory",
        "changes",
    }
    assert set(doc["scores"]) == {
        "OWASP-LLM",
        "OWASP-AGENTIC",
        "ATLAS",
        "SAIF",
        "NIST-AI-RMF",
        "MS-AIRA",
    }
    control = next(c for c in doc["controls"] if c["id"] == "C-GUARD-INPUT")
    assert control["status"] == "missing"
    assert control["threats"][0]["category"] == "injection_agency"
    assert doc["stages"]["model artifacts"] == {"critical": 1}
    assert doc["stages"]["inference"] == {"high": 1}
    assert doc["changes"] == {"previous_run": None, "previous_time": None, "new": [], "fixed": []}
    assert doc["inventory"]["assets"][1]["line"] == 4


def test_matrix_of_asset_classes_and_threat_categories(make_inv: MakeInv) -> None:
    matrix = _assessment(make_inv).matrix()
    assert set(matrix) == {"model", "llm_app"}  # the classes the tree holds
    assert matrix["llm_app"]["injection_agency"] == "missing"  # no guard
    assert matrix["model"]["supply_chain"] == "missing"  # malicious, unsigned
    assert matrix["model"]["poisoning_evasion"] == "unknown"  # robustness not tested
    assert matrix["llm_app"]["poisoning_evasion"] is None  # no control of that kind


def test_chart_stacks_each_stage_and_uses_round_ticks() -> None:
    from aisec.posture._chart import stage_chart

    svg = stage_chart(
        {"build": {Severity.HIGH: 38, Severity.LOW: 10}, "data": {}, "x<y": {Severity.INFO: 2}}
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<title>build: 38 high</title>" in svg and "<title>build: 10 low</title>" in svg
    assert ">48</text>" in svg and ">0</text>" in svg  # totals above the bars
    assert [t for t in ("0", "20", "40", "60") if f">{t}</text>" in svg] == ["0", "20", "40", "60"]
    assert "x&lt;y" in svg and "x<y" not in svg


def test_a_large_tree_keeps_the_page_readable(
    make_inv: MakeInv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aisec.posture import _report

    monkeypatch.setattr(_report, "MAX_FINDINGS", 3)
    monkeypatch.setattr(_report, "MAX_ASSET_ROWS", 2)
    manifests = [asset("dependency_manifest", f"svc{i}/requirements.txt") for i in range(5)]
    findings = [
        Finding(
            "supplychain-unpinned",
            "t",
            Severity.MEDIUM,
            location=Location(f"svc{i}/requirements.txt", 2),
        )
        for i in range(4)
    ] + [Finding("pickle-dangerous-call", "t", Severity.CRITICAL, location=Location("m.pkl"))]
    a = assess_inventory(make_inv(manifests, findings), Evidence())
    page = render_html(a)
    assert "Findings (5)" in page and "The 3 most severe of 5 findings" in page
    assert page.index("pickle-dangerous-call</code>") < page.index("supplychain-unpinned</code>")
    assert "The first 2 of 5 assets" in page
    assert a.severity_counts()["medium"] == 4  # counts and chart still cover every finding
