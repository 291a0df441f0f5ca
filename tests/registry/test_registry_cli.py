"""``aisec registry …`` as a user runs it: what it prints and the exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from registry_samples import make_malicious_model, make_model, tree_bytes

from aisec.cli.main import main
from aisec.core.crypto import Keyring


@pytest.fixture(autouse=True)
def setup(write_policy: Callable[..., Path], table_width: None) -> None:
    write_policy(trusted=[{"name": "release", "keyring": "release"}])
    with Keyring.open() as ring:
        ring.create_key("release", "signing")


@pytest.fixture
def table_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["registry", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_push_promote_tamper_rollback_pull_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1, v2 = make_model(tmp_path / "v1", seed=1), make_model(tmp_path / "v2", seed=2)
    rc, out, _ = _run(capsys, "push", "fraud", str(v1), "--version", "1", "--key", "release")
    assert rc == 0 and "pushed fraud:1: 3 file(s)" in out and "scan: clean" in out
    assert "signature: release (sha256:" in out
    assert _run(capsys, "push", "fraud", str(v2), "--version", "2", "--key", "release")[0] == 0
    rc, out, _ = _run(capsys, "push", "fraud", str(v2), "--version", "2")
    assert rc == 0 and "already registered with these bytes; nothing to do" in out
    for v in ("1", "2"):
        rc, out, _ = _run(capsys, "promote", "fraud", v, "--stage", "production")
        assert rc == 0, out
    assert "production of fraud is now 2 (was 1)" in out

    deployed = tmp_path / "srv"
    rc, out, _ = _run(capsys, "pull", "fraud", "--stage", "production", str(deployed))
    assert rc == 0 and "pulled fraud:2" in out and "every digest verified" in out
    rc, out, _ = _run(capsys, "verify-deployment", "fraud", str(deployed), "--stage", "production")
    assert rc == 0 and "every file matches" in out

    weights = deployed / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    (deployed / "tok" / "vocab.txt").unlink()
    (deployed / "backdoor.py").write_text("import os")
    rc, out, _ = _run(capsys, "verify-deployment", "fraud", str(deployed), "--stage", "production")
    assert rc == 1
    assert "changed: model.safetensors" in out
    assert "missing: tok/vocab.txt" in out
    assert "added: backdoor.py" in out

    rc, out, _ = _run(capsys, "rollback", "fraud", "--stage", "production")
    assert rc == 0 and "rolled back production of fraud: 2 -> 1" in out
    again = tmp_path / "srv-v1"
    assert _run(capsys, "pull", "fraud", "--stage", "production", str(again))[0] == 0
    assert tree_bytes(again) == tree_bytes(v1)

    rc, out, _ = _run(capsys, "show", "fraud", "--format", "json")
    doc = json.loads(out)
    assert doc["stages"] == {"production": "1"}
    assert [h["action"] for h in doc["history"]] == ["promote", "promote", "rollback"]


def test_refused_promotion_lists_each_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "push", "evil", str(make_malicious_model(tmp_path / "e")), "--version", "1")
    rc, out, _ = _run(capsys, "promote", "evil", "1", "--stage", "production")
    assert rc == 1
    assert "refused: evil:1 may not enter production:" in out
    assert "  - scan verdict is malicious" in out
    assert "  - unsigned: the gate requires a signature" in out
    rc, out, _ = _run(capsys, "promote", "evil", "1", "--stage", "production", "--format", "json")
    assert rc == 1 and json.loads(out)["promoted"] is False


def test_override_is_refused_for_a_role_without_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(capsys, "push", "m", str(make_model(tmp_path / "m")), "--version", "1")
    monkeypatch.setenv("AISEC_PRINCIPAL", "rita")
    rc, _, err = _run(
        capsys, "promote", "m", "1", "--stage", "production", "--override", "--reason", "x"
    )
    assert rc == 2 and "rita (releaser) may not registry.override" in err
    monkeypatch.setenv("AISEC_PRINCIPAL", "sam")
    rc, out, _ = _run(
        capsys, "promote", "m", "1", "--stage", "production", "--override", "--reason", "INC-7"
    )
    assert rc == 0 and "OVERRIDDEN gate (INC-7)" in out


def test_a_changed_blob_is_exit_1_and_no_dest(
    tmp_path: Path, aisec_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "push", "m", str(make_model(tmp_path / "m")), "--version", "1")
    for blob in (aisec_home / "registry" / "blobs" / "sha256").rglob("*"):
        if blob.is_file() and blob.stat().st_size > 1000:
            blob.write_bytes(blob.read_bytes()[:-1])
    rc, _, err = _run(capsys, "pull", "m", "--version", "1", str(tmp_path / "dest"))
    assert rc == 1 and "was changed" in err and "model.safetensors" in err
    assert not (tmp_path / "dest").exists()


def test_names_from_a_deployment_are_shown_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_model(tmp_path / "m")
    _run(capsys, "push", "m", str(model), "--version", "1", "--key", "release")
    _run(capsys, "promote", "m", "1", "--stage", "staging")
    (model / "evil\x1b[2J.txt").write_text("x")
    rc, out, _ = _run(capsys, "verify-deployment", "m", str(model), "--stage", "staging")
    assert rc == 1 and "added: evil\\x1b[2J.txt" in out and "\x1b" not in out


def test_list_show_quarantine_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "list")
    assert rc == 0 and "no models" in out
    model = make_model(tmp_path / "m")
    _run(capsys, "push", "m", str(model), "--version", "1", "--key", "release")
    _run(capsys, "promote", "m", "1", "--stage", "production")
    rc, out, _ = _run(capsys, "list", "--format", "json")
    assert json.loads(out) == [
        {"model": "m", "versions": 1, "latest": "1", "stages": {"production": "1"}}
    ]
    rc, out, _ = _run(capsys, "show", "m", "1")
    assert "digest:     sha256:" in out and "stages:     production" in out
    rc, out, _ = _run(capsys, "quarantine", "m", "1", "--reason", "bad data")
    assert rc == 0 and "rolled back automatically to nothing" in out
    rc, out, _ = _run(capsys, "show", "m", "1", "--format", "json")
    assert json.loads(out)["quarantine"]["reason"] == "bad data"
    rc, out, _ = _run(capsys, "release", "m", "1")
    assert rc == 0 and "released m:1" in out
