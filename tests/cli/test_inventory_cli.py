"""``aisec inventory``: the JSON contract, the table, --fail-on and --exclude."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from aisec.cli.main import main


class _Reduce:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


@pytest.fixture
def project() -> Path:
    root = Path("proj")
    (root / "tests").mkdir(parents=True)
    (root / "app.py").write_text(
        "from openai import OpenAI\nclient = OpenAI()\n"
        "client.chat.completions.create(model='gpt-4o', messages=["
        "{'role': 'system', 'content': 'You are the [b]ACME[/b] bot'}])\n"
    )
    (root / "tests" / "test_app.py").write_text("from openai import OpenAI\nOpenAI()\n")
    (root / "model.pkl").write_bytes(pickle.dumps(_Reduce(), protocol=2))
    (root / "requirements.txt").write_text("openai>=1\n")
    return root


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_json_output_is_the_documented_shape(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, _ = _run(capsys, "inventory", str(project), "--format", "json")
    assert rc == 0  # --fail-on defaults to never: inventory lists, assess gates
    doc = json.loads(out)
    assert set(doc) == {"root", "assets", "findings", "summary", "skipped"}
    kinds = sorted({(a["kind"], a["path"]) for a in doc["assets"]})
    assert ("llm_call", "app.py") in kinds
    assert ("model_file", "model.pkl") in kinds
    assert ("llm_call", "tests/test_app.py") in kinds
    assert doc["summary"]["vulnerability_data"].startswith("no vulnerability data")


def test_exclude_and_fail_on(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(
        capsys, "inventory", str(project), "-f", "json", "--exclude", "tests/", "--fail-on", "high"
    )
    assert rc == 1  # the malicious pickle
    paths = {a["path"] for a in json.loads(out)["assets"]}
    assert "tests/test_app.py" not in paths


def test_table_shows_assets_and_findings_with_markup_escaped(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "[b]evil.py").write_text("import openai\nopenai.OpenAI()\n")
    rc, out, _ = _run(capsys, "inventory", str(project))
    assert rc == 0
    assert "Assets" in out
    assert "app.py:3" in out
    assert "[b]evil.py:2" in out  # a file name is data: shown, never read as markup
    assert "pickle-dangerous-call" in out
    assert "no vulnerability data" in out


def test_sarif_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "inventory", str(project), "--format", "sarif")
    assert rc == 0
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "supplychain-unpinned" in rules


def test_missing_path_and_bad_osv_db_are_usage_errors(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = _run(capsys, "inventory", "does-not-exist")
    assert rc == 2
    assert "cannot read" in err
    rc, _, err = _run(capsys, "inventory", str(project), "--osv-db", "nope")
    assert rc == 2
    assert "not a folder" in err
