"""Keras v3 archives and configs: Lambda layers, unsafe modules, custom objects."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from _formats_samples import (
    EVIL_LAMBDA_CODE,
    KERAS_ATTACKS,
    keras_benign_files,
    keras_lambda_file,
    keras_sequential,
)

from aisec.artifacts import scan_bytes, scan_path
from aisec.artifacts.keras._config import analyse_keras_config, lambda_code_names
from aisec.core.frameworks import lookup


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("keras")
    return [*keras_benign_files(folder), keras_lambda_file(folder)]


def test_models_saved_by_keras_are_clean(keras_files: list[Path]) -> None:
    benign = [p for p in keras_files if p.name != "lambda.keras"]
    report = scan_path(benign)
    top = [r for r in report.files if "!/" not in r.path]
    assert len(top) == 6
    assert {(r.format, r.verdict) for r in top} == {("keras", "clean"), ("hdf5", "clean")}
    assert report.findings == []


def test_lambda_saved_by_keras_is_caught(keras_files: list[Path]) -> None:
    lam = next(p for p in keras_files if p.name == "lambda.keras")
    report = scan_path(lam)
    assert report.files[0].verdict == "malicious"
    assert {f.rule_id for f in report.findings} == {"keras-lambda-layer"}


@pytest.mark.parametrize("technique", sorted(KERAS_ATTACKS))
def test_keras_technique(technique: str) -> None:
    build, rule = KERAS_ATTACKS[technique]
    report = scan_bytes(build(), f"{technique}.keras")
    assert report.files[0].format == "keras"
    assert rule in {f.rule_id for f in report.findings}


def test_detected_by_content_not_extension() -> None:
    data = KERAS_ATTACKS["lambda_layer_bytecode"][0]()
    report = scan_bytes(data, "weights.bin")
    assert report.files[0].format == "keras"
    assert report.files[0].verdict == "malicious"


def test_reordered_members_still_detected() -> None:
    # config.json last and no metadata.json: the sniffer reads the central directory
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("model.weights.h5", b"")
        z.writestr("config.json", json.dumps(keras_sequential([])))
    report = scan_bytes(buf.getvalue(), "m.zip")
    assert report.files[0].format == "keras"


def test_model_to_json_file_with_lambda(tmp_path: Path) -> None:
    p = tmp_path / "architecture.json"
    cfg = keras_sequential(
        [{"class_name": "Lambda", "module": "keras.layers", "registered_name": None,
          "config": {"function": {"class_name": "__lambda__",
                                  "config": {"code": EVIL_LAMBDA_CODE}}}}]
    )  # fmt: skip
    p.write_text(json.dumps(cfg))
    report = scan_path(p)
    assert report.files[0].format == "json"
    assert {f.rule_id for f in report.findings} == {"keras-lambda-layer"}


def test_lambda_evidence_names_the_payload() -> None:
    names = lambda_code_names(EVIL_LAMBDA_CODE)
    assert "system" in names and "__import__" in names
    issues = analyse_keras_config(keras_sequential([]) | {"x": {
        "class_name": "Lambda", "config": {"function": [EVIL_LAMBDA_CODE, None, None],
                                           "function_type": "lambda"}}})  # fmt: skip
    assert issues and "system" in issues[0].evidence


def test_safe_mode_flag_does_not_matter() -> None:
    cfg = keras_sequential(
        [{"module": "os", "class_name": "function", "config": "system", "registered_name": None}]
    )
    cfg["safe_mode"] = True
    assert {i.rule_id for i in analyse_keras_config(cfg)} == {"keras-unsafe-module"}


def test_keras_builtin_functions_are_not_flagged() -> None:
    cfg = keras_sequential([
        {"module": "keras.layers", "class_name": "Dense", "registered_name": None, "config": {
            "activation": {"module": "keras.src.activations.activations",
                           "class_name": "function", "config": "gelu",
                           "registered_name": "gelu"}}},
        {"module": "keras.src.models.functional", "class_name": "Functional",
         "registered_name": "Functional", "config": {"layers": []}},
    ])  # fmt: skip
    assert analyse_keras_config(cfg) == []


def test_zip_bomb_config_is_an_error_not_a_hang() -> None:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", "{}")
        z.writestr("config.json", b"[" * 200_000 + b"]" * 200_000)
    report = scan_bytes(buf.getvalue(), "bomb.keras")
    assert report.files[0].verdict == "error"


def test_keras_framework_refs_resolve() -> None:
    report = scan_bytes(KERAS_ATTACKS["cve_2025_1550_module_os_system"][0](), "x.keras")
    assert report.findings
    for finding in report.findings:
        for ref in finding.frameworks:
            assert lookup(ref).id == ref.id


def test_torch_module_wrapper_payload_is_scanned_as_a_pickle() -> None:
    report = scan_bytes(KERAS_ATTACKS["torch_module_wrapper_pickle"][0](), "m.keras")
    nested = [r for r in report.files if "torch-module" in r.path]
    assert nested and nested[0].verdict == "malicious"
    assert report.files[0].verdict == "malicious"  # the container takes its worst member


def test_keras_utils_classes_are_ordinary_layers() -> None:
    cfg = keras_sequential(
        [{"module": "keras.utils", "class_name": "FeatureSpace", "config": {},
          "registered_name": None},
         {"module": "keras.src.legacy.layers", "class_name": "AlphaDropout", "config": {},
          "registered_name": None}]
    )  # fmt: skip
    assert analyse_keras_config(cfg) == []


def _h5_bytes(build: object) -> bytes:
    import io

    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        build(f)  # type: ignore[operator]
    return buf.getvalue()


def _archive(members: list[tuple[str, bytes]]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def test_weights_judged_while_config_is_read_report_as_before() -> None:
    # the weights' HDF5 analysis starts before config.json is judged; the member's entry
    # and its findings are those of a scan in zip order
    import h5py

    weights = _h5_bytes(lambda f: f.__setitem__("w", h5py.ExternalLink("/etc/passwd", "/")))
    data = _archive(
        [("config.json", json.dumps(keras_sequential([]))), ("model.weights.h5", weights)]
    )
    report = scan_bytes(data, "m.keras")
    assert [(r.path, r.format, r.verdict) for r in report.files] == [
        ("m.keras", "keras", "malicious"),
        ("m.keras!/model.weights.h5", "hdf5", "malicious"),
    ]
    assert [f.rule_id for f in report.findings] == ["hdf5-external-link"]


def test_another_hdf5_member_before_the_weights_gets_its_own_outcome() -> None:
    import h5py

    weights = _h5_bytes(lambda f: f.__setitem__("w", h5py.ExternalLink("/etc/passwd", "/")))
    asset = _h5_bytes(
        lambda f: f.create_dataset("d", shape=(4,), dtype="u1", external=[("/etc/x", 0, 4)])
    )
    data = _archive(
        [
            ("assets/table.h5", asset),
            ("config.json", json.dumps(keras_sequential([]))),
            ("model.weights.h5", weights),
        ]
    )
    report = scan_bytes(data, "m.keras")
    rules = {r.path: [f.rule_id for f in r.findings] for r in report.files}
    assert rules["m.keras!/assets/table.h5"] == ["hdf5-external-storage"]
    assert rules["m.keras!/model.weights.h5"] == ["hdf5-external-link"]


def test_bad_config_ends_the_scan_and_the_hdf5_worker_still_works(tmp_path: Path) -> None:
    import h5py

    weights = _h5_bytes(lambda f: f.create_dataset("x", data=[1, 2, 3]))
    data = _archive([("config.json", "{not json"), ("model.weights.h5", weights)])
    report = scan_bytes(data, "m.keras")
    assert report.files[0].verdict == "error"
    assert "invalid JSON" in (report.files[0].error or "")
    p = tmp_path / "linked.h5"
    with h5py.File(p, "w") as f:
        f["w"] = h5py.ExternalLink("/etc/passwd", "/")
    assert [f.rule_id for f in scan_path(p).findings] == ["hdf5-external-link"]
