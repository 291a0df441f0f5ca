"""Acceptance 1: on examples/insecure-rag-app every planted problem is found, with the
framework ids its README lists, and nothing else is flagged (exact set comparison)."""

from __future__ import annotations

import re

import pytest
from rag_app import EXAMPLE, build_example, osv_export

from aisec.posture import assess

# (rule id, path, line) -> framework ids; the README's table says the same.
PLANTED = {
    ("pickle-dangerous-call", "models/reranker.pkl", None): {
        "ATLAS:AML.T0011.000",
        "ATLAS:AML.T0018.002",
        "ATLAS:AML.T0010.003",
        "OWASP-LLM:LLM03:2025",
        "OWASP-LLM:LLM04:2025",
    },
    ("supplychain-unpinned", "requirements.txt", 2): {
        "ATLAS:AML.T0010.001",
        "NIST-AI-RMF:GOVERN 6",
        "OWASP-LLM:LLM03:2025",
    },
    ("supplychain-unpinned", "requirements.txt", 3): {
        "ATLAS:AML.T0010.001",
        "NIST-AI-RMF:GOVERN 6",
        "OWASP-LLM:LLM03:2025",
    },
    ("supplychain-unpinned", "requirements.txt", 4): {
        "ATLAS:AML.T0010.001",
        "NIST-AI-RMF:GOVERN 6",
        "OWASP-LLM:LLM03:2025",
    },
    ("supplychain-unhashed", "requirements.txt", 2): {
        "ATLAS:AML.T0010.001",
        "OWASP-LLM:LLM03:2025",
    },
    ("inventory-secret-in-code", "app/settings.py", 5): {
        "ATLAS:AML.T0057",
        "OWASP-LLM:LLM02:2025",
        "SAIF:SDD",
    },
    ("inventory-system-prompt-in-code", "app/rag.py", 11): {
        "ATLAS:AML.T0056",
        "OWASP-LLM:LLM07:2025",
    },
    ("inventory-tool-code-execution", "app/agent.py", 11): {
        "ATLAS:AML.T0053",
        "OWASP-AGENTIC:ASI02:2026",
        "OWASP-AGENTIC:ASI05:2026",
        "OWASP-LLM:LLM06:2025",
        "SAIF:RA",
    },
    ("posture-guard-policy-missing", "app/rag.py", 16): {
        "OWASP-LLM:LLM01:2025",
        "OWASP-LLM:LLM02:2025",
        "OWASP-AGENTIC:ASI01:2026",
        "ATLAS:AML.M0020",
        "ATLAS:AML.T0051",
        "SAIF:PIJ",
        "MS-AIRA:5.1",
    },
    ("inventory-model-unsigned", "models/embedder.safetensors", None): {
        "ATLAS:AML.T0010.003",
        "OWASP-LLM:LLM03:2025",
        "SAIF:MST",
    },
    ("inventory-model-unsigned", "models/reranker.pkl", None): {
        "ATLAS:AML.T0010.003",
        "OWASP-LLM:LLM03:2025",
        "SAIF:MST",
    },
}


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, int | None], set[str]]:
    tmp = tmp_path_factory.mktemp("rag")
    monkey = pytest.MonkeyPatch()
    monkey.setenv("AISEC_HOME", str(tmp / "home"))
    monkey.delenv("AISEC_POLICY", raising=False)
    monkey.chdir(tmp)
    try:
        app = build_example(tmp / "insecure-rag-app")
        result = assess(app, osv_db=osv_export(tmp / "osv"))
    finally:
        monkey.undo()
    out: dict[tuple[str, str, int | None], set[str]] = {}
    for f in result.findings:
        key = (f.rule_id, f.location.path or "", f.location.line)
        assert key not in out, f"reported twice: {key}"
        out[key] = {str(r) for r in f.frameworks}
    return out


def test_every_planted_problem_and_nothing_else(
    found: dict[tuple[str, str, int | None], set[str]],
) -> None:
    assert set(found) == set(PLANTED)


@pytest.mark.parametrize("key", sorted(PLANTED, key=str), ids=lambda k: f"{k[0]}@{k[1]}:{k[2]}")
def test_planted_problem_has_its_framework_ids(
    found: dict[tuple[str, str, int | None], set[str]], key: tuple[str, str, int | None]
) -> None:
    assert found.get(key) == PLANTED[key]


def test_readme_lists_every_planted_rule_with_its_frameworks() -> None:
    readme = (EXAMPLE / "README.md").read_text("utf-8")
    for (rule, path, line), refs in PLANTED.items():
        where = f"`{path}:{line}`" if line else f"`{path}`"
        row = next((r for r in readme.splitlines() if f"`{rule}`" in r and where in r), None)
        assert row is not None, f"README has no row for {rule} at {where}"
        assert set(re.findall(r"[A-Z][A-Z-]*:[A-Za-z0-9.:]+(?: \d+)?", row)) >= refs, row
