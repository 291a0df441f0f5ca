"""safetensors: header-only validation; a 10 GB (sparse) file is judged from its header."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from _formats_samples import SAFETENSORS_ATTACKS, safetensors_benign_files, safetensors_raw
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.artifacts import scan_bytes, scan_path
from aisec.artifacts.weights._safetensors import DTYPE_BITS


def test_files_saved_by_safetensors_are_clean(tmp_path: Path) -> None:
    files = safetensors_benign_files(tmp_path)
    report = scan_path(files)
    assert len(report.files) == len(files) >= 2
    assert {(r.format, r.verdict) for r in report.files} == {("safetensors", "clean")}


@pytest.mark.parametrize("technique", sorted(SAFETENSORS_ATTACKS))
def test_safetensors_technique(technique: str) -> None:
    build, rule = SAFETENSORS_ATTACKS[technique]
    report = scan_bytes(build(), "model.safetensors")
    assert report.files[0].format == "safetensors"
    assert rule in {f.rule_id for f in report.findings}


def test_trailing_pickle_is_judged_as_a_pickle() -> None:
    report = scan_bytes(SAFETENSORS_ATTACKS["trailing_pickle_polyglot"][0](), "m.safetensors")
    nested = [r for r in report.files if r.path.endswith("!/trailing-data")]
    assert nested and nested[0].format == "pickle" and nested[0].verdict == "malicious"
    assert report.files[0].verdict == "malicious"


def test_ten_gigabyte_file_reads_only_the_header(tmp_path: Path) -> None:
    n = 10 * 1024**3 // 4
    header = {"huge": {"dtype": "F32", "shape": [n], "data_offsets": [0, n * 4]}}
    raw = json.dumps(header).encode()
    p = tmp_path / "huge.safetensors"
    with p.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        fh.truncate(8 + len(raw) + n * 4)  # sparse: no 10 GB written or read
    report = scan_path(p)
    assert (report.files[0].verdict, report.findings) == ("clean", [])


_dtypes = st.sampled_from(sorted(d for d, bits in DTYPE_BITS.items() if bits % 8 == 0))
_tensors = st.dictionaries(
    st.text(alphabet="abcdefgh._", min_size=1, max_size=12).filter(lambda s: s != "__metadata__"),
    st.tuples(_dtypes, st.lists(st.integers(0, 6), max_size=3)),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(_tensors, st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3))
def test_any_valid_layout_is_clean(
    tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str]
) -> None:
    header: dict[str, object] = {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = DTYPE_BITS[dtype] // 8
        for d in shape:
            size *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    if metadata and not any("{" in v for v in metadata.values()):
        header["__metadata__"] = metadata
    report = scan_bytes(safetensors_raw(header, b"\0" * offset), "x.safetensors")
    assert report.files[0].verdict == "clean", report.findings


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=300))
def test_random_header_bytes_never_crash(body: bytes) -> None:
    data = struct.pack("<Q", len(body) + 1) + b"{" + body
    assert scan_bytes(data, "x.safetensors").files[0].verdict in (
        "clean", "suspicious", "malicious", "error",
    )  # fmt: skip
