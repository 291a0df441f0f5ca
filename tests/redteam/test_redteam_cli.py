"""``aisec redteam`` as a user runs it: formats, exit code, findings in the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema

from aisec.core.store import open_store
from aisec.core.store.findings import read_findings
from aisec.redteam.testing import ScriptedTarget

SRC = str(Path(__file__).resolve().parents[2] / "src")


def cli_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC, "AISEC_HOME": str(tmp_path / "home")}


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aisec", "redteam", *args],
        env=cli_env(tmp_path), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_json_report_exit_code_and_stored_findings(tmp_path: Path, target: ScriptedTarget) -> None:
    done = _cli(
        tmp_path, "--target", target.url, "--probes", "direct_injection,jailbreak_persuasion",
        "--format", "json", "--concurrency", "2", "--rate", "200",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # a high finding at --fail-on high
    doc = json.loads(done.stdout)
    schema = json.loads(
        (resources.files("aisec.cli") / "schemas" / "findings.schema.json").read_text()
    )
    jsonschema.Draft202012Validator(schema).validate(doc)
    fams = {f["family"]: f for f in doc["redteam"]["families"]}
    assert fams["direct_injection"]["asr"] == 0.4
    assert fams["jailbreak_persuasion"]["asr"] == 0.0
    assert fams["direct_injection"]["ci95"][0] < 0.4 < fams["direct_injection"]["ci95"][1]
    assert [f["rule_id"] for f in doc["findings"]] == ["redteam-direct-injection"]
    assert "ATLAS:AML.T0051.000" in doc["findings"][0]["frameworks"]
    store = open_store(f"sqlite:///{tmp_path / 'home' / 'aisec.db'}")
    try:
        stored = read_findings(store, source="redteam")
    finally:
        store.close()
    assert [f.rule_id for f in stored] == ["redteam-direct-injection"]
    tail = subprocess.run(
        [sys.executable, "-m", "aisec", "audit", "tail", "--format", "json"],
        env=cli_env(tmp_path), capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert '"redteam.run"' in tail.stdout and "redteam-direct-injection" in tail.stdout


def test_html_report_to_a_file_and_resume(tmp_path: Path, target: ScriptedTarget) -> None:
    out, state = tmp_path / "rt.html", tmp_path / "rt.state"
    args = ["--target", target.url, "--probes", "pii_extraction", "--resume", str(state)]
    first = _cli(tmp_path, *args, "--budget", "5", "--format", "html", "--out", str(out))
    assert first.returncode == 1, first.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "pii_extraction" in page
    second = _cli(tmp_path, *args, "--format", "json", "--no-store")
    doc = json.loads(second.stdout)["redteam"]
    assert doc["resumed"] == 5 and doc["run"] == 14


def test_bad_target_url_is_a_usage_error(tmp_path: Path) -> None:
    done = _cli(tmp_path, "--target", "file:///etc/passwd")
    assert done.returncode == 2
    assert "expected an http:// or https:// URL" in done.stderr
