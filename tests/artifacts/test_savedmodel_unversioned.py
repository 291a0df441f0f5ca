"""SavedModel files written without ``saved_model_schema_version`` (other writers than TF).

TensorFlow's parser accepts a SavedModel that leaves the version field out, so such a file
must still be recognised by its structure and judged, while no other protobuf (ONNX,
frozen GraphDef, Keras metadata, an unrelated message) is claimed as one.
"""

from __future__ import annotations

from pathlib import Path

from _formats_samples import (
    _TF_DENSE_META,
    ONNX_ATTACKS,
    SAVEDMODEL_ATTACKS,
    frozen_graph_benign,
    keras_metadata_pb,
    onnx_benign_files,
    pb_bytes,
    pb_str,
    savedmodel_benign,
    savedmodel_tf1_benign,
    tf_node,
)

from aisec.artifacts import scan_bytes
from aisec.artifacts.tensorflow._savedmodel import _sniff_saved_model


def _unversioned(saved_model: bytes) -> bytes:
    """The same SavedModel without its leading ``saved_model_schema_version = 1``."""
    assert saved_model[:2] == b"\x08\x01"
    return saved_model[2:]


def _judged(data: bytes) -> tuple[str, str, set[str]]:
    result = scan_bytes(data, "saved_model.pb").files[0]
    return result.format, result.verdict, {f.rule_id for f in result.findings}


def test_minimal_unversioned_savedmodel_graph_def_pyfunc() -> None:
    # only meta_graphs[0].graph_def, holding a Const and a PyFunc node
    nodes = pb_bytes(1, tf_node("Const", "Const")) + pb_bytes(1, tf_node("bad", "PyFunc"))
    data = pb_bytes(2, pb_bytes(2, nodes))
    assert _judged(data) == ("tf-savedmodel", "malicious", {"savedmodel-python-op"})


def test_unversioned_savedmodel_meta_info_def_pyfunc() -> None:
    data = _unversioned(SAVEDMODEL_ATTACKS["pyfunc_in_serving_function"][0]())
    fmt, verdict, rules = _judged(data)
    assert (fmt, verdict) == ("tf-savedmodel", "malicious")
    assert "savedmodel-python-op" in rules


def test_unversioned_savedmodel_cut_by_the_sniff_head() -> None:
    # the graph runs far past the 4 KiB the sniffers see; the PyFunc is at its end
    nodes = b"".join(pb_bytes(1, tf_node(f"dense_{i}/MatMul", "MatMul")) for i in range(400))
    data = pb_bytes(2, pb_bytes(2, nodes + pb_bytes(1, tf_node("late", "PyFunc"))))
    assert len(data) > 2 * 4096
    assert _judged(data) == ("tf-savedmodel", "malicious", {"savedmodel-python-op"})


def test_unversioned_benign_savedmodels_are_clean() -> None:
    for build in (savedmodel_benign, savedmodel_tf1_benign):
        assert _judged(_unversioned(build())) == ("tf-savedmodel", "clean", set())


def test_unversioned_sniff_claims_no_other_protobuf(tmp_path: Path) -> None:
    others = [frozen_graph_benign()]
    others += [build() for build, _ in ONNX_ATTACKS.values()]
    others += [path.read_bytes() for path in onnx_benign_files(tmp_path)]
    others.append(keras_metadata_pb([_TF_DENSE_META]))
    for data in others:
        assert not _sniff_saved_model(data[:4096])


def test_unversioned_sniff_wants_savedmodel_structure() -> None:
    lookalikes = [
        pb_bytes(2, pb_str(1, "hello")),  # a string where meta_info_def would be
        pb_bytes(2, pb_bytes(1, pb_str(9, "x"))),  # a field MetaInfoDef does not have
        pb_bytes(2, pb_bytes(1, pb_str(1, "v1"))),  # only meta_graph_version: nothing TF-made
        pb_bytes(2, pb_bytes(2, pb_bytes(1, pb_str(1, "n") + pb_str(2, "not an op")))),
        pb_bytes(2, pb_bytes(2, pb_str(1, "a") + pb_str(2, "b"))),  # graph_def without a node
        pb_bytes(3, pb_bytes(2, pb_bytes(1, tf_node("x", "PyFunc")))),  # not meta_graphs
        b"\x12",
        b"",
    ]
    for data in lookalikes:
        assert not _sniff_saved_model(data)
