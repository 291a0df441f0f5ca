"""scan_path: walking, sniffing by content, verdicts, JSON shape, nesting."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import pytest
from corpus import os_system_proto, torch_zip, unknown_global

from aisec.artifacts import Limits, scan_bytes, scan_path
from aisec.artifacts._verdict import Verdict, verdict_of
from aisec.core.errors import InputError
from aisec.core.findings import Finding, Severity


def test_json_shape(tmp_path: Path) -> None:
    (tmp_path / "bad.bin").write_bytes(os_system_proto(4))
    doc = json.loads(json.dumps(scan_path(tmp_path).to_dict()))
    assert set(doc) == {"files", "summary"}
    (entry,) = doc["files"]
    assert {"path", "format", "verdict", "findings"} <= set(entry)
    assert entry["verdict"] == "malicious" and entry["format"] == "pickle"
    assert entry["findings"][0]["rule_id"] == "pickle-dangerous-call"
    assert doc["summary"]["malicious"] == 1 and doc["summary"]["files"] == 1


def test_extension_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "weights.safetensors").write_bytes(os_system_proto(2))
    (tmp_path / "notes.txt").write_bytes(torch_zip(os_system_proto(2)))
    report = scan_path(tmp_path)
    assert {r.path.rsplit("/", 1)[-1]: r.format for r in report.files if "!/" not in r.path} == {
        "notes.txt": "pytorch",
        "weights.safetensors": "pickle",
    }
    assert all(r.verdict == "malicious" for r in report.files if "!/" not in r.path)


def test_folder_needs_recursive_for_subfolders(tmp_path: Path) -> None:
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "deep.pkl").write_bytes(os_system_proto(2))
    (tmp_path / "top.pkl").write_bytes(pickle.dumps({"a": 1}))
    assert [Path(r.path).name for r in scan_path(tmp_path).files] == ["top.pkl"]
    names = [Path(r.path).name for r in scan_path(tmp_path, recursive=True).files]
    assert sorted(names) == ["deep.pkl", "top.pkl"]


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        scan_path(tmp_path / "absent.pt")


def test_empty_and_unknown_files_are_clean(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "readme.md").write_text("# just text\n")
    report = scan_path(tmp_path)
    assert {Path(r.path).name: (r.format, r.verdict) for r in report.files} == {
        "empty": ("empty", "clean"),
        "readme.md": ("unknown", "clean"),
    }


def test_container_verdict_folds_in_members() -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("ok.txt", b"hello")
        zf.writestr("model/weights.pkl", os_system_proto(4))
    report = scan_bytes(inner.getvalue(), "bundle.zip")
    by_path = {r.path: r for r in report.files}
    assert by_path["bundle.zip"].verdict == "malicious"
    assert by_path["bundle.zip"].findings == ()
    assert by_path["bundle.zip!/model/weights.pkl"].verdict == "malicious"


def test_suspicious_member_makes_container_suspicious() -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("custom.pkl", unknown_global())
    report = scan_bytes(inner.getvalue(), "bundle.zip")
    assert report.files[0].verdict == "suspicious"


def _four_nested_zips() -> bytes:
    """A malicious pickle at the bottom of four zips, each holding the next."""
    data = os_system_proto(2)
    for level in range(4):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(f"level{level}.zip" if level else "x.pkl", data)
        data = buf.getvalue()
    return data


def test_nesting_depth_limit_gives_error_verdict() -> None:
    report = scan_bytes(_four_nested_zips(), "deep.zip", limits=Limits(max_nesting_depth=2))
    assert report.files[0].verdict == "error"
    assert any("nested deeper" in (r.error or "") for r in report.files)
    assert any(f.rule_id == "artifact-scan-error" for f in report.findings)


def test_pickle_size_limit_is_an_error_not_a_crash() -> None:
    report = scan_bytes(os_system_proto(2), "x.pkl", limits=Limits(max_pickle_bytes=8))
    assert report.files[0].verdict == "error"
    assert "limit" in (report.files[0].error or "")


@pytest.mark.parametrize(
    ("severities", "error", "expected"),
    [
        ((), None, "clean"),
        ((Severity.INFO,), None, "clean"),
        ((Severity.LOW,), None, "suspicious"),
        ((Severity.MEDIUM,), "boom", "error"),
        ((Severity.HIGH,), "boom", "malicious"),
        ((Severity.CRITICAL,), None, "malicious"),
    ],
)
def test_verdict_rules(severities: tuple[Severity, ...], error: str | None, expected: str) -> None:
    findings = [Finding("r", "t", s) for s in severities]
    assert verdict_of(findings, error) is Verdict(expected)


def test_verdict_order_is_the_one_containers_fold_by() -> None:
    assert sorted(Verdict, reverse=True) == [
        Verdict.MALICIOUS,
        Verdict.ERROR,
        Verdict.SUSPICIOUS,
        Verdict.CLEAN,
    ]
    assert max(Verdict.SUSPICIOUS, Verdict.ERROR) is Verdict.ERROR
    assert Verdict.CLEAN < "suspicious" and Verdict.MALICIOUS > "error"
    assert [v.rank for v in Verdict] == [0, 1, 2, 3]


def test_fifo_is_skipped_not_read(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (result,) = scan_path(tmp_path, recursive=True).files
    assert result.verdict == "error"
    assert "not a regular file" in (result.error or "")


def test_text_starting_with_an_opcode_letter_is_not_a_pickle(tmp_path: Path) -> None:
    doc = tmp_path / "notes.md"
    doc.write_text("Use {{ name }} to greet the user.\nThis is documentation.\n")
    result = scan_path([doc]).files[0]
    assert (result.format, result.verdict) != ("pickle", "suspicious")
    assert not any(f.rule_id.startswith("pickle") for f in result.findings)


def test_broken_protocol0_payload_without_stop_is_still_a_pickle(tmp_path: Path) -> None:
    evil = tmp_path / "broken.pkl"
    evil.write_bytes(b"cos\nsystem\n(S'touch aisec-pwned-canary'\ntR")  # no STOP, runs on load
    result = scan_path([evil]).files[0]
    assert result.verdict == "malicious"
    assert "pickle-dangerous-call" in {f.rule_id for f in result.findings}


@pytest.mark.parametrize("padding", [0, 300 << 10, 40 << 20])
def test_small_and_large_files_read_alike(tmp_path: Path, padding: int) -> None:
    # small files are read in one call and scanned in memory, larger ones as a stream (and
    # mapped above 32 MiB); the verdict must not depend on which
    payload = pickle.dumps({"pad": b"\x00" * padding}, protocol=4)[:-1] + b"0"
    evil = tmp_path / "evil.bin"
    evil.write_bytes(payload + os_system_proto(4))
    result = scan_path(evil).files[0]
    assert result.size == evil.stat().st_size
    assert result.verdict == "malicious"
    assert "pickle-dangerous-call" in {f.rule_id for f in result.findings}


def test_nesting_past_the_limit_is_an_archive_limit_finding() -> None:
    report = scan_bytes(_four_nested_zips(), "deep.zip", limits=Limits(max_nesting_depth=2))
    (deep,) = [r for r in report.files if r.error]
    assert deep.path.endswith("!/level1.zip")
    assert [f.rule_id for f in deep.findings] == ["archive-limit"]
    assert deep.findings[0].location.path == deep.path


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_scan_through_an_executor_gives_the_same_report(tmp_path: Path, kind: str) -> None:
    import io
    import zipfile

    from aisec.core.jobs import LocalExecutor

    (tmp_path / "bad.pkl").write_bytes(os_system_proto(2))
    (tmp_path / "ok.pkl").write_bytes(b"\x80\x04K\x01.")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inner/evil.pkl", os_system_proto(4))
    (tmp_path / "model.zip").write_bytes(buf.getvalue())
    (tmp_path / "notes.txt").write_bytes(b"plain text")
    seen: list[str] = []
    executor = LocalExecutor(kind, workers=2)  # type: ignore[arg-type]
    pooled = scan_path(tmp_path, executor=executor, progress=seen.append)
    inline = scan_path(tmp_path)
    assert pooled.to_dict() == inline.to_dict()
    assert [Path(r.path).name for r in pooled.files][:2] == ["bad.pkl", "model.zip"]
    assert sorted(Path(p).name for p in seen) == ["bad.pkl", "model.zip", "notes.txt", "ok.pkl"]
