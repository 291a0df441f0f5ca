"""``aisec scan``: exit codes, output formats, errors."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import os_system_proto, unknown_global

from aisec.cli.main import main


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    folder = tmp_path / "samples"
    folder.mkdir()
    (folder / "bad.pt").write_bytes(os_system_proto(2))
    (folder / "custom.pkl").write_bytes(unknown_global())
    (folder / "ok.pkl").write_bytes(pickle.dumps({"a": [1, 2]}))
    return folder


def test_malicious_exits_1_with_json_shape(
    samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["scan", str(samples / "bad.pt"), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert doc["files"][0]["verdict"] == "malicious"
    assert doc["files"][0]["findings"][0]["rule_id"] == "pickle-dangerous-call"
    assert doc["verdicts"]["malicious"] == 1


def test_clean_file_exits_0(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(samples / "ok.pkl")]) == 0
    out = capsys.readouterr().out
    assert "clean" in out and "1 file(s)" in out


def test_fail_on_threshold(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(samples / "custom.pkl"), "--fail-on", "high", "-q"]) == 0
    assert main(["scan", str(samples / "custom.pkl"), "--fail-on", "medium", "-q"]) == 1
    assert main(["scan", str(samples / "bad.pt"), "--fail-on", "never", "-q"]) == 0
    assert capsys.readouterr().out == ""


def test_sarif_output(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["scan", str(samples), "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert sarif["version"] == "2.1.0"
    rule_ids = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert {"pickle-dangerous-call", "pickle-unknown-global"} <= rule_ids


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "nope.pt")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_bad_fail_on_exits_2(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(samples), "--fail-on", "severe"]) == 2
    assert "unknown severity" in capsys.readouterr().err


def test_recursive_flag(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sub = samples / "nested"
    sub.mkdir()
    (sub / "deep.pkl").write_bytes(os_system_proto(4))
    main(["scan", str(samples), "--format", "json"])
    flat = json.loads(capsys.readouterr().out)
    main(["scan", str(samples), "--recursive", "--format", "json"])
    deep = json.loads(capsys.readouterr().out)
    assert deep["verdicts"]["files"] == flat["verdicts"]["files"] + 1


def test_scan_is_audited(samples: Path) -> None:
    from aisec.core.audit import default_log

    assert main(["scan", str(samples / "ok.pkl"), "-q"]) == 0
    events = [e for e in default_log().tail(50) if e.action == "artifacts.scan"]
    assert events and events[-1].details["clean"] == 1


def test_subprocess_entry_point_and_help(samples: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "aisec", "scan", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert "Example: aisec scan" in proc.stdout


def _zip_with_payload_after(members: int, payload: bytes) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(members):
            z.writestr(f"m{i}.txt", b"")
        z.writestr("zz/model.pkl", payload)
    return buf.getvalue()


def _nested_tars(depth: int, payload: bytes) -> bytes:
    import io
    import tarfile

    data, name = payload, "model.pkl"
    for level in range(depth):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tf:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        data, name = buf.getvalue(), f"level{level}.tar"
    return data


@pytest.mark.parametrize("level", ["info", "low", "medium", "high", "critical"])
def test_pickle_behind_member_limit_fails_gate_at_every_level(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], level: str
) -> None:
    """10,000 empty members, then the payload: the scan stops at the member limit and
    says so with one medium archive-limit finding. A gate above medium must still fail."""
    p = tmp_path / "many.zip"
    p.write_bytes(_zip_with_payload_after(10_000, os_system_proto(2)))
    assert main(["scan", str(p), "--fail-on", level, "-q"]) == 1
    assert main(["scan", str(p), "--fail-on", level, "--allow-partial", "-q"]) == (
        1 if level in ("info", "low", "medium") else 0  # the medium archive-limit finding
    )
    assert main(["scan", str(p), "--fail-on", "never", "-q"]) == 0


def test_pickle_behind_six_nested_tars_fails_high_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "deep.tar"
    p.write_bytes(_nested_tars(7, os_system_proto(2)))
    assert main(["scan", str(p), "--fail-on", "high"]) == 1
    err = capsys.readouterr().err
    assert "not fully scanned" in err and "--allow-partial" in err
    assert main(["scan", str(p), "--fail-on", "critical", "-q"]) == 1
    assert main(["scan", str(p), "--fail-on", "high", "--allow-partial", "-q"]) == 0
    rc = main(["scan", str(p), "--format", "json", "--fail-on", "high", "--allow-partial"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0  # still reported: the partial entries are in the JSON
    partial = [f for f in doc["files"] if f.get("partial")]
    assert partial and {"archive-limit"} <= {x["rule_id"] for f in partial for x in f["findings"]}
    assert all(f["verdict"] != "malicious" for f in doc["files"])  # the payload was not reached


def test_fully_scanned_files_are_not_partial(samples: Path) -> None:
    from aisec.artifacts import scan_path

    report = scan_path(samples)
    assert report.partial == []
    assert main(["scan", str(samples / "custom.pkl"), "--fail-on", "high", "-q"]) == 0
