"""Named regression tests for issue 11 §1: pickles the scanner did not recognise, walks
that broke after the dangerous call, compression wrappers, unknown formats and payloads
carried as data. Each builds the sample, asserts the exact rule and verdict, and asserts
that nothing ran (the canary file of ``corpus.CMD`` never appears)."""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import lzma
import pickle
import struct
import zlib
from pathlib import Path

import pytest
from corpus import CANARY, CMD, PROTO2, STOP, call1, g0, os_system_proto, sg, u

from aisec.artifacts import ScanReport, scan_path
from aisec.core.findings import Severity

PAYLOAD0 = g0("os", "system") + b"(S'" + CMD.encode() + b"'\ntR"  # protocol 0, no STOP
PAYLOAD4 = call1(sg("os", "system"), u(CMD))  # protocol 4 opcodes, no STOP


def _scan(tmp_path: Path, name: str, data: bytes) -> ScanReport:
    path = tmp_path / name
    path.write_bytes(data)
    report = scan_path(path)
    assert not (Path.cwd() / CANARY).exists(), "a sample was executed"
    assert not (tmp_path / CANARY).exists(), "a sample was executed"
    return report


def _expect(report: ScanReport, rule: str, verdict: str) -> None:
    rules = {f.rule_id for f in report.findings}
    assert rule in rules, f"{rule} not in {sorted(rules)}"
    assert report.files[0].verdict == verdict, report.files[0]


def _os_system_object() -> object:
    import os

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (CMD,))

    return Payload()


# -- recognition: what the unpickler accepts, not what pickle.dumps writes ---------------
def test_leading_garbage_opcode_before_proto(tmp_path: Path) -> None:
    # BINFLOAT, POP, then an ordinary protocol 2 pickle: CPython runs it
    data = b"G" + struct.pack(">d", 1.5) + b"0" + os_system_proto(2)
    report = _scan(tmp_path, "model.bin", data)
    _expect(report, "pickle-dangerous-call", "malicious")
    assert report.files[0].format == "pickle"


def test_frame_opcode_first(tmp_path: Path) -> None:
    body = PROTO2 + PAYLOAD4 + STOP
    data = b"\x95" + struct.pack("<Q", len(body)) + body
    _expect(_scan(tmp_path, "x", data), "pickle-dangerous-call", "malicious")


def test_proto_mid_stream(tmp_path: Path) -> None:
    # no PROTO at the start; PROTO 4 after some protocol 0 noise
    data = b"I7\n0Vnoise\n0" + b"\x80\x04" + PAYLOAD4 + STOP
    _expect(_scan(tmp_path, "x", data), "pickle-dangerous-call", "malicious")


@pytest.mark.parametrize(
    "prefix",
    [
        b"N0",
        b")0",
        b"}0",
        b"]0",
        b"(1",
        b"\x88\x94" + b"0",
        b"K\x07q\x01" + b"0",
        b"L12L\n0",
        b"F0.5\n0",
        b"Pid\n0",  # PERSID: torch.load resolves it
        b"\x8f0",
        b"\x8e" + struct.pack("<Q", 1) + b"x0",
        b"\x80\x03\x80\x02",
    ],
    ids=lambda p: p[:1].hex(),
)
def test_any_opcode_as_first_byte(prefix: bytes, tmp_path: Path) -> None:
    _expect(_scan(tmp_path, "x", prefix + PAYLOAD0 + STOP), "pickle-dangerous-call", "malicious")


def test_walk_error_after_reduce(tmp_path: Path) -> None:
    # the loader runs os.system, then fails on the invalid opcode
    report = _scan(tmp_path, "x", PAYLOAD0 + b"\xff")
    _expect(report, "pickle-dangerous-call", "malicious")
    assert "pickle-malformed" in {f.rule_id for f in report.findings}


def test_walk_error_after_global(tmp_path: Path) -> None:
    report = _scan(tmp_path, "x", b"cposix\nsystem\n" + b"h\xfe")  # memo key never set
    _expect(report, "pickle-dangerous-global", "malicious")
    assert "pickle-malformed" in {f.rule_id for f in report.findings}


def test_truncated_after_reduce_no_stop(tmp_path: Path) -> None:
    report = _scan(tmp_path, "x", b"N0" + PAYLOAD0)
    _expect(report, "pickle-dangerous-call", "malicious")


@pytest.mark.parametrize(
    "opcode", [b"K\x05", b"h\x00", b"q\x01", b"J\x01\x02\x03\x04", b"M\x01\x02"]
)
@pytest.mark.parametrize("at", [4094, 4095])
def test_opcode_cut_by_the_sniffing_window(opcode: bytes, at: int, tmp_path: Path) -> None:
    # no PROTO; the 4 KiB window the sniffer walks ends inside this opcode's argument
    data = (b"}" + b"N0" * 3000)[:at] + b"N\x94" + opcode + b"0" + PAYLOAD0 + STOP
    _expect(_scan(tmp_path, "x", data), "pickle-dangerous-call", "malicious")


@pytest.mark.parametrize("fill", [b"a", b"\x00", b"\x01\x7f"])
def test_text_line_longer_than_the_sniffing_window(fill: bytes, tmp_path: Path) -> None:
    # UNICODE takes raw bytes up to the newline (control bytes included), however long
    data = b"V" + fill * 6000 + b"\n0" + PAYLOAD0 + STOP
    _expect(_scan(tmp_path, "x", data), "pickle-dangerous-call", "malicious")


def test_second_stream_starting_with_any_opcode(tmp_path: Path) -> None:
    data = pickle.dumps({"a": 1}, protocol=2) + b"N0" + PAYLOAD0 + STOP
    _expect(_scan(tmp_path, "x.pkl", data), "pickle-dangerous-call", "malicious")


@pytest.mark.parametrize("protocol", [0, 1])
def test_protocol0_sklearn_model_with_appended_payload(protocol: int, tmp_path: Path) -> None:
    # a fitted forest's protocol-0 text runs past the 4 KiB sniffing window mid-line
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    features = rng.random((40, 3))
    model = RandomForestClassifier(n_estimators=5, random_state=0)
    model.fit(features, features[:, 0] > 0.5)
    clean = pickle.dumps(model, protocol=protocol)
    assert len(clean) > 4096
    assert _scan(tmp_path, "forest.pkl", clean).files[0].format == "pickle"
    report = _scan(tmp_path, "forest2.pkl", clean + pickle.dumps(_os_system_object(), protocol))
    _expect(report, "pickle-dangerous-call", "malicious")


# -- compression wrappers: every compressor joblib can write -----------------------------
@pytest.mark.parametrize("compress", ["zlib", "gzip", "bz2", "lzma", "xz", "lz4"])
def test_joblib_compressed_payload(compress: str, tmp_path: Path) -> None:
    import joblib

    path = tmp_path / f"model.joblib.{compress}"
    joblib.dump(_os_system_object(), path, compress=compress)
    report = scan_path(path)
    _expect(report, "pickle-dangerous-call", "malicious")
    assert report.files[0].format == compress
    assert not (tmp_path / CANARY).exists()


def test_lz4_joblib_payload(tmp_path: Path) -> None:
    import joblib

    path = tmp_path / "model.joblib"
    joblib.dump({"model": _os_system_object()}, path, compress="lz4")
    report = scan_path(path)
    _expect(report, "pickle-dangerous-call", "malicious")
    assert [r.format for r in report.files] == ["lz4", "pickle"]


def test_lz4_skippable_frame_before_payload(tmp_path: Path) -> None:
    import lz4.frame

    skippable = struct.pack("<II", 0x184D2A50, 4) + b"skip"
    data = skippable + lz4.frame.compress(os_system_proto(2))
    _expect(_scan(tmp_path, "x.lz4", data), "pickle-dangerous-call", "malicious")


@pytest.mark.parametrize(
    "wrap",
    [gzip.compress, bz2.compress, lzma.compress, zlib.compress],
    ids=["gzip", "bz2", "xz", "zlib"],
)
def test_compressed_walk_error_after_reduce(wrap: object, tmp_path: Path) -> None:
    data = wrap(b"F1.0\n0" + PAYLOAD0 + b"\xff")  # type: ignore[operator]
    _expect(_scan(tmp_path, "x.bin", data), "pickle-dangerous-call", "malicious")


# -- unknown format is not clean ---------------------------------------------------------
def test_unknown_format_is_reported_at_info(tmp_path: Path) -> None:
    report = _scan(tmp_path, "notes.txt", b"just some text, not a model\n")
    (finding,) = report.findings
    assert finding.rule_id == "unknown-format"
    assert finding.severity is Severity.INFO
    assert report.files[0].verdict == "clean"


def test_unknown_format_gates_with_fail_on_info(tmp_path: Path) -> None:
    from aisec.cli.main import main

    path = tmp_path / "notes.txt"
    path.write_bytes(b"just some text, not a model\n")
    assert main(["scan", str(path), "--fail-on", "info", "-q"]) == 1
    assert main(["scan", str(path), "--fail-on", "low", "-q"]) == 0


def test_unknown_model_named_file_is_suspicious(tmp_path: Path) -> None:
    # starts with an opcode the unpickler acts on, yet no handler claims it
    report = _scan(tmp_path, "weights.pkl", b"K\x01")
    _expect(report, "unknown-format-model", "suspicious")


def test_unknown_content_of_a_compressed_wrapper_is_suspicious(tmp_path: Path) -> None:
    report = _scan(tmp_path, "model.gz", gzip.compress(b"\x01\x02 not anything known"))
    assert report.files[1].path.endswith("!/model")
    assert {f.rule_id for f in report.files[1].findings} == {"unknown-format-model"}
    assert report.files[0].verdict == "suspicious"


# -- payloads carried as data ------------------------------------------------------------
def _holder(value: object) -> bytes:
    return pickle.dumps({"weights": [1.0, 2.0], "state": value}, protocol=4)


def test_raw_pickle_in_pickle_bytes(tmp_path: Path) -> None:
    report = _scan(tmp_path, "x.pkl", _holder(os_system_proto(4)))
    _expect(report, "embedded-pickle-payload", "malicious")
    (finding,) = [f for f in report.findings if f.rule_id == "embedded-pickle-payload"]
    assert finding.location.offset is not None
    assert "pickle-dangerous-call" in finding.evidence


def test_base64_pickle_in_pickle_string(tmp_path: Path) -> None:
    value = base64.b64encode(os_system_proto(2)).decode()
    report = _scan(tmp_path, "x.pkl", _holder(value))
    _expect(report, "embedded-pickle-payload", "malicious")
    assert "(base64)" in report.findings[0].evidence


def test_urlsafe_base64_pickle_in_pickle_string(tmp_path: Path) -> None:
    value = base64.urlsafe_b64encode(os_system_proto(0)).decode().rstrip("=")
    _expect(_scan(tmp_path, "x.pkl", _holder(value)), "embedded-pickle-payload", "malicious")


def test_hex_pickle_in_pickle_string(tmp_path: Path) -> None:
    value = os_system_proto(3).hex()
    _expect(_scan(tmp_path, "x.pkl", _holder(value)), "embedded-pickle-payload", "malicious")


@pytest.mark.parametrize(
    "wrap",
    [zlib.compress, gzip.compress, bz2.compress, lzma.compress],
    ids=["zlib", "gzip", "bz2", "xz"],
)
def test_compressed_pickle_in_pickle_bytes(wrap: object, tmp_path: Path) -> None:
    value = wrap(os_system_proto(4))  # type: ignore[operator]
    _expect(_scan(tmp_path, "x.pkl", _holder(value)), "embedded-pickle-payload", "malicious")


def test_base64_of_zlib_pickle_in_protocol0_string(tmp_path: Path) -> None:
    value = base64.b64encode(zlib.compress(os_system_proto(2))).decode()
    report = _scan(tmp_path, "x.pkl", pickle.dumps({"state": value}, protocol=0))
    _expect(report, "embedded-pickle-payload", "malicious")
    assert "base64 > zlib" in report.findings[0].evidence


@pytest.mark.parametrize("encode", ["raw", "base64"])
def test_padded_pickle_over_a_megabyte_in_pickle_data(encode: str, tmp_path: Path) -> None:
    # padding pushes the value past the size the machine keeps inline (a Blob)
    padded = pickle.dumps([b"\0" * (2 << 20), _os_system_object()], protocol=4)
    value = padded if encode == "raw" else base64.b64encode(padded).decode()
    _expect(_scan(tmp_path, "x.pkl", _holder(value)), "embedded-pickle-payload", "malicious")


def test_python_source_in_pickle_string(tmp_path: Path) -> None:
    value = "import subprocess as sp\nsp.check_output(['id'])\n"
    _expect(_scan(tmp_path, "x.pkl", _holder(value)), "embedded-code", "suspicious")


def test_python_source_aliased_import_in_pickle_string(tmp_path: Path) -> None:
    value = "from os import system as run_it\nrun_it('id')\n"
    _expect(_scan(tmp_path, "x.pkl", _holder(value)), "embedded-code", "suspicious")


def test_ordinary_long_strings_stay_clean(tmp_path: Path) -> None:
    value = {
        "description": "A classifier for flowers, trained on the iris data set in 2024.",
        "code_note": "call model.eval() before inference; see compile() in the docs",
        "digest": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    }
    report = _scan(tmp_path, "x.pkl", _holder(value))
    assert report.files[0].verdict == "clean", report.findings


def test_string_heavy_data_stays_clean(tmp_path: Path) -> None:
    # hex and base64 digests and prose mentioning imports: decoded and checked, not flagged
    import hashlib

    rows = [
        {
            "sha": hashlib.sha256(str(i).encode()).hexdigest(),
            "b64": base64.b64encode(hashlib.sha512(str(i).encode()).digest()).decode(),
            "text": f"row {i}: the code. It is important to import data from os. files",
        }
        for i in range(3000)
    ]
    report = _scan(tmp_path, "rows.pkl", pickle.dumps(rows, protocol=4))
    assert report.files[0].verdict == "clean", report.findings[:3]


def test_safetensors_metadata_base64_pickle(tmp_path: Path) -> None:
    import numpy as np
    from safetensors.numpy import save

    meta = {"format": "pt", "state": base64.b64encode(os_system_proto(2)).decode()}
    data = save({"bias": np.zeros(4, dtype=np.float32)}, metadata=meta)
    report = _scan(tmp_path, "m.safetensors", data)
    _expect(report, "embedded-pickle-payload", "malicious")
    (finding,) = [f for f in report.findings if f.rule_id == "embedded-pickle-payload"]
    assert finding.location.pointer == "/__metadata__/state"


def test_safetensors_metadata_json_holding_base64_pickle(tmp_path: Path) -> None:
    import json

    import numpy as np
    from safetensors.numpy import save

    config = {"name": "tiny", "hooks": [{"state": base64.b64encode(os_system_proto(2)).decode()}]}
    meta = {"format": "pt", "config": json.dumps(config)}
    data = save({"bias": np.zeros(4, dtype=np.float32)}, metadata=meta)
    report = _scan(tmp_path, "m.safetensors", data)
    _expect(report, "embedded-pickle-payload", "malicious")
    assert "json > base64" in report.findings[0].evidence


def test_python_source_taking_a_dangerous_function_by_reference(tmp_path: Path) -> None:
    value = "run = __import__('os').system\nrun('id')\n"
    _expect(_scan(tmp_path, "x.pkl", _holder(value)), "embedded-code", "suspicious")


def test_python_source_reaching_for_subclasses(tmp_path: Path) -> None:
    value = "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen']"
    _expect(_scan(tmp_path, "x.pkl", _holder(value)), "embedded-code", "suspicious")


def test_gguf_metadata_python_code(tmp_path: Path) -> None:
    def gs(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<Q", len(raw)) + raw

    pairs = [("general.name", "tiny"), ("general.notes", "__import__('os').system('id')")]
    data = b"GGUF" + struct.pack("<IQQ", 3, 0, len(pairs))
    for key, value in pairs:
        data += gs(key) + struct.pack("<I", 8) + gs(value)
    report = _scan(tmp_path, "m.gguf", data)
    _expect(report, "embedded-code", "suspicious")
    (finding,) = [f for f in report.findings if f.rule_id == "embedded-code"]
    assert finding.location.pointer == "general.notes"


def test_onnx_metadata_props_hex_pickle(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph)
    helper.set_model_props(model, {"state": os_system_proto(2).hex(), "author": "someone"})
    report = _scan(tmp_path, "m.onnx", model.SerializeToString())
    _expect(report, "embedded-pickle-payload", "malicious")


def test_nested_embedding_is_bounded(tmp_path: Path) -> None:
    # base64 inside base64 inside ... more layers than the limit: scanned, never a hang
    value = os_system_proto(2)
    for _ in range(12):
        value = base64.b64encode(value)
    report = _scan(tmp_path, "x.pkl", _holder(value))
    assert report.files[0].verdict in ("clean", "suspicious", "malicious")
    assert report.files[0].error is None


def test_scanning_does_not_unpickle(tmp_path: Path) -> None:
    # belt and braces for the whole module: a payload in every place above, scanned together
    data = io.BytesIO()
    pickle.dump(_holder(base64.b64encode(os_system_proto(2)).decode()), data)
    _scan(tmp_path, "x.pkl", b"N0" + PAYLOAD0 + b"\xff")
    _scan(tmp_path, "y.pkl", data.getvalue())


def test_pickle_dressed_as_bzip2_is_never_clean(tmp_path: Path) -> None:
    """'BZh9' opens a bzip2 stream, and also BINBYTES whose length bytes are 'Zh9\\0'
    (3,762,266): CPython pushes that many bytes, pops them and runs the pickle after them.
    The compressed handler is asked first (so real bz2 joblib files are decompressed); here
    decompression fails, and the file must still fail the gate."""
    (length,) = struct.unpack("<I", b"Zh9\x00")
    data = b"B" + struct.pack("<I", length) + b"\x00" * length + b"0" + os_system_proto(2)
    assert data[:4] == b"BZh9"
    report = _scan(tmp_path, "model.bin", data)
    assert report.files[0].verdict in ("malicious", "error"), report.files[0]
    assert report.partial or report.files[0].verdict == "malicious"
