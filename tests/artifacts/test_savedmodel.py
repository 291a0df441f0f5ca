"""TensorFlow SavedModel / frozen GraphDef, decoded from protobuf bytes without TensorFlow.

TensorFlow is not installable here, so the files are written field by field from the
published .proto layouts (saved_model.proto, meta_graph.proto, graph.proto, function.proto)
the way TF 2.x writes them: serving function, traced save/restore functions, assets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _formats_samples import (
    SAVEDMODEL_ATTACKS,
    frozen_graph_benign,
    savedmodel_benign,
    savedmodel_tf1_benign,
)

from aisec.artifacts import scan_bytes, scan_path
from aisec.artifacts.tensorflow._savedmodel import _sniff_graph_def, _sniff_saved_model


@pytest.mark.parametrize(
    ("name", "build", "fmt"),
    [
        ("tf2", savedmodel_benign, "tf-savedmodel"),
        ("tf1", savedmodel_tf1_benign, "tf-savedmodel"),
        ("frozen", frozen_graph_benign, "tf-graphdef"),
    ],
)
def test_benign_graphs_are_clean(name: str, build: object, fmt: str) -> None:
    assert callable(build)
    report = scan_bytes(build(), "saved_model.pb")
    assert (report.files[0].format, report.files[0].verdict) == (fmt, "clean")


@pytest.mark.parametrize("technique", sorted(SAVEDMODEL_ATTACKS))
def test_savedmodel_technique(technique: str) -> None:
    build, rule = SAVEDMODEL_ATTACKS[technique]
    report = scan_bytes(build(), "model.pb")
    assert report.files[0].verdict == "malicious"
    assert rule in {f.rule_id for f in report.findings}


def test_saved_model_folder(tmp_path: Path) -> None:
    model = tmp_path / "export" / "1"
    (model / "variables").mkdir(parents=True)
    (model / "assets").mkdir()
    (model / "saved_model.pb").write_bytes(SAVEDMODEL_ATTACKS["pyfunc_in_serving_function"][0]())
    (model / "assets" / "vocab.txt").write_text("a\nb\n")
    report = scan_path(tmp_path, recursive=True)
    pb = next(r for r in report.files if r.path.endswith("saved_model.pb"))
    assert pb.verdict == "malicious"
    finding = next(f for f in pb.findings if f.rule_id == "savedmodel-python-op")
    assert "__inference_serving_default_1234/PyFunc" in finding.evidence


def test_sniffers_do_not_claim_each_other() -> None:
    assert _sniff_saved_model(savedmodel_benign()[:4096])
    assert not _sniff_graph_def(savedmodel_benign()[:4096])
    assert _sniff_graph_def(frozen_graph_benign()[:4096])
    assert not _sniff_saved_model(frozen_graph_benign()[:4096])


def test_truncated_saved_model_is_an_error() -> None:
    data = savedmodel_benign()
    report = scan_bytes(data[: len(data) // 2], "saved_model.pb")
    assert report.files[0].verdict == "error"


def test_benign_keras_metadata_is_clean() -> None:
    from _formats_samples import _TF_DENSE_META, keras_metadata_pb

    report = scan_bytes(keras_metadata_pb([_TF_DENSE_META]), "keras_metadata.pb")
    assert (report.files[0].format, report.files[0].verdict) == (
        "keras-savedmodel-metadata",
        "clean",
    )
