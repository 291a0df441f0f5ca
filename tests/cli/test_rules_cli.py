"""CLI: aisec rules list (table and JSON)."""

from __future__ import annotations

import json

import pytest

from aisec.cli.main import main
from aisec.core.rules import all_rules


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_rules_list_json_is_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "rules", "list", "--format", "json")
    assert rc == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [r.id for r in all_rules()]
    override = next(r for r in rows if r["id"] == "guard-prompt-injection-override")
    assert override["severity"] == "high"
    assert "OWASP-LLM:LLM01:2025" in override["frameworks"]
    assert set(override) == {"id", "title", "severity", "frameworks", "remediation", "source"}


def test_rules_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "rules", "list")
    assert rc == 0
    assert f"Rules ({len(all_rules())})" in out
    assert "pickle-dangerous-call" in out
    assert "Pickle calls a dangerous function when loaded" in out


def test_rules_list_one_source(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "rules", "list", "--source", "core", "--format", "json")
    assert rc == 0
    assert {r["source"] for r in json.loads(out)} == {"core"}
    rc, _, err = _run(capsys, "rules", "list", "--source", "nope")
    assert rc == 2
    assert "unknown rule source 'nope'" in err
