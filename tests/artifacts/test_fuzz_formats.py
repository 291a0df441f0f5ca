"""Truncations and random mutations of every non-pickle format: a verdict, never a crash.

Each sample is cut at many points and mutated at random bytes (seeded, reproducible);
every result must be one of the four verdicts, with no exception escaping the scanner and
none caught inside it: the dispatcher turns a handler's unexpected exception into an
``error`` verdict (one hostile file must not end a scan of many), and flags it as an
internal error, which these tests refuse. (The pickle family: ``test_fuzz_pickle.py``.)
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import pytest
from _formats_samples import (
    BENIGN_TEMPLATES,
    GGUF_ATTACKS,
    HDF5_LAMBDA_FUNCTION_OS_SYSTEM,
    KERAS_ATTACKS,
    ONNX_ATTACKS,
    SAFETENSORS_ATTACKS,
    SAVEDMODEL_ATTACKS,
    frozen_graph_benign,
    gguf_benign,
    keras_metadata_pb,
    legacy_h5,
    onnx_models,
    safetensors_raw,
    savedmodel_benign,
)

from aisec.artifacts import ScanReport, Verdict, scan_bytes


def _check(report: ScanReport) -> None:
    """A verdict for every entry, and no internal error in any handler."""
    assert report.files, "every input gets an entry"
    assert all(isinstance(r.verdict, Verdict) for r in report.files)
    assert [(r.path, r.error) for r in report.internal_errors] == []


def _samples() -> dict[str, bytes]:
    models = onnx_models()
    with tempfile.TemporaryDirectory() as tmp:
        h5 = legacy_h5(Path(tmp), "m.h5", HDF5_LAMBDA_FUNCTION_OS_SYSTEM).read_bytes()
    return {
        "hdf5": h5,
        "gguf": gguf_benign(),
        "gguf_ssti": GGUF_ATTACKS["chat_template_ssti_cve_2024_34359"][0](),
        "onnx": models["if_subgraph"].SerializeToString(),  # type: ignore[attr-defined]
        "onnx_ext": ONNX_ATTACKS["external_data_in_subgraph"][0](),
        "savedmodel": savedmodel_benign(),
        "savedmodel_pyfunc": SAVEDMODEL_ATTACKS["pyfunc_in_serving_function"][0](),
        "safetensors": safetensors_raw(
            {
                "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                "__metadata__": {"format": "pt"},
            },
            b"\0" * 16,
        ),
        "safetensors_gap": SAFETENSORS_ATTACKS["gap_between_tensors"][0](),
        "keras": KERAS_ATTACKS["lambda_nested_three_models_deep"][0](),
        "template": BENIGN_TEMPLATES["llama31_tools"].encode(),
        "tf_graphdef": frozen_graph_benign(),
        "keras_metadata": keras_metadata_pb([{"class_name": "Dense", "config": {"units": 2}}]),
        "json_keras": json.dumps(HDF5_LAMBDA_FUNCTION_OS_SYSTEM).encode(),
        "json_tokenizer": json.dumps(
            {"chat_template": BENIGN_TEMPLATES["llama31_tools"], "model_max_length": 8}
        ).encode(),
        "yaml_hydra": b"model:\n  _target_: torch.nn.Linear\n  in_features: 4\n"
        b"optim: !new:torch.optim.Adam\n  lr: 0.001\nlist: [1, 2, {a: b}]\n",
    }


SAMPLES = _samples()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_truncations(name: str) -> None:
    data = SAMPLES[name]
    cuts = sorted({*range(0, min(len(data), 64)), *range(0, len(data), max(1, len(data) // 60))})
    for cut in cuts:
        _check(scan_bytes(data[:cut], f"{name}.cut{cut}"))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_random_mutations(name: str) -> None:
    rng = random.Random(f"aisec-{name}")
    data = SAMPLES[name]
    for i in range(120):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(mutated))
            mutated[pos] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        _check(scan_bytes(bytes(mutated), f"{name}.mut{i}"))


def test_protobuf_length_bombs() -> None:
    # a LEN field claiming 2**60 bytes and a varint that never ends
    for data in (b"\x08\x07\x3a\xff\xff\xff\xff\xff\xff\xff\xff\x0f", b"\x08\x07" + b"\xff" * 64):
        _check(scan_bytes(data, "bomb.onnx"))
