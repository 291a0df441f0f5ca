"""Truncations and random mutations of every non-pickle format: a verdict, never a crash.

Each sample is cut at many points and mutated at random bytes (seeded, reproducible);
every result must be one of the four verdicts, with no exception escaping the scanner.
"""

from __future__ import annotations

import random

import pytest
from _formats_samples import (
    BENIGN_TEMPLATES,
    GGUF_ATTACKS,
    KERAS_ATTACKS,
    ONNX_ATTACKS,
    SAFETENSORS_ATTACKS,
    SAVEDMODEL_ATTACKS,
    gguf_benign,
    onnx_models,
    safetensors_raw,
    savedmodel_benign,
)

from aisec.artifacts import scan_bytes

VERDICTS = {"clean", "suspicious", "malicious", "error"}


def _samples() -> dict[str, bytes]:
    models = onnx_models()
    return {
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
    }


SAMPLES = _samples()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_truncations(name: str) -> None:
    data = SAMPLES[name]
    cuts = sorted({*range(0, min(len(data), 64)), *range(0, len(data), max(1, len(data) // 60))})
    for cut in cuts:
        report = scan_bytes(data[:cut], f"{name}.cut{cut}")
        assert {r.verdict for r in report.files} <= VERDICTS


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_random_mutations(name: str) -> None:
    rng = random.Random(f"aisec-{name}")
    data = SAMPLES[name]
    for i in range(120):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(mutated))
            mutated[pos] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        report = scan_bytes(bytes(mutated), f"{name}.mut{i}")
        assert {r.verdict for r in report.files} <= VERDICTS


def test_protobuf_length_bombs() -> None:
    # a LEN field claiming 2**60 bytes and a varint that never ends
    for data in (b"\x08\x07\x3a\xff\xff\xff\xff\xff\xff\xff\xff\x0f", b"\x08\x07" + b"\xff" * 64):
        report = scan_bytes(data, "bomb.onnx")
        assert report.files[0].verdict in VERDICTS
