"""ONNX: external-data escapes, custom domains, odd sizes; no onnx runtime session."""

from __future__ import annotations

from pathlib import Path

import pytest
from _formats_samples import ONNX_ATTACKS, onnx_benign_files, onnx_external

from aisec.artifacts import scan_bytes, scan_path


def test_models_saved_by_onnx_are_clean(tmp_path: Path) -> None:
    files = onnx_benign_files(tmp_path)
    report = scan_path(files)
    onnx_results = [r for r in report.files if r.format == "onnx"]
    assert len(onnx_results) == len(files) == 5
    assert {r.verdict for r in onnx_results} == {"clean"}


@pytest.mark.parametrize("technique", sorted(ONNX_ATTACKS))
def test_onnx_technique(technique: str) -> None:
    build, rule = ONNX_ATTACKS[technique]
    report = scan_bytes(build(), "model.onnx")
    assert report.files[0].format == "onnx"
    assert rule in {f.rule_id for f in report.findings}


def test_external_data_symlink_out_of_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("x" * 48)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "weights.bin").symlink_to(outside / "secret.txt")
    p = model_dir / "model.onnx"
    p.write_bytes(onnx_external("weights.bin"))
    report = scan_path(p)
    assert {f.rule_id for f in report.findings} == {"onnx-external-data-symlink"}
    assert report.files[0].verdict == "malicious"


def test_external_data_symlink_inside_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real.bin").write_bytes(b"\0" * 48)
    (tmp_path / "weights.bin").symlink_to(tmp_path / "real.bin")
    p = tmp_path / "model.onnx"
    p.write_bytes(onnx_external("weights.bin"))
    assert scan_path(p).files[0].verdict == "clean"


def test_external_data_bad_offset() -> None:
    import onnx

    model = onnx.load_from_string(onnx_external("w.bin"))
    for entry in model.graph.initializer[0].external_data:
        if entry.key == "offset":
            entry.value = "-4096"
    report = scan_bytes(model.SerializeToString(), "m.onnx")
    assert "onnx-external-data-bad-range" in {f.rule_id for f in report.findings}


def test_detected_by_content_whatever_the_name() -> None:
    report = scan_bytes(ONNX_ATTACKS["external_data_absolute_path"][0](), "README")
    assert report.files[0].format == "onnx"


def test_truncated_model_is_an_error() -> None:
    data = ONNX_ATTACKS["unknown_custom_op_domain"][0]()
    report = scan_bytes(data[:-7], "m.onnx")
    assert report.files[0].verdict in ("error", "suspicious")


def test_implausible_declared_size() -> None:
    import onnx

    model = onnx.load_from_string(onnx_external("w.bin"))
    model.graph.initializer[0].dims[:] = [1 << 30, 1 << 30]
    report = scan_bytes(model.SerializeToString(), "m.onnx")
    assert "onnx-tensor-bad-shape" in {f.rule_id for f in report.findings}
