"""ONNX models, decoded from the protobuf wire format by hand (no onnx/onnxruntime needed).

Threats: tensors whose ``external_data`` location escapes the model folder (absolute paths,
``..``, symlinks, URLs) so a loader reads ``/etc/passwd`` or a secret into the graph;
operators from custom domains, which need a native library (or a Python op) to run;
tensors whose declared sizes do not match their bytes. Tensor bytes are never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import ClassVar

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts._format_findings import format_finding
from aisec.artifacts._protowire import (
    LEN,
    VARINT,
    Buffer,
    ProtoError,
    WireField,
    fields,
    open_buffer,
    packed_varints,
    signed64,
    text,
)
from aisec.artifacts.pickle import scan_embedded_values
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, Severity

__all__ = ["STANDARD_DOMAINS", "OnnxHandler"]

# Operator domains implemented by ONNX itself and by the mainstream runtimes/exporters.
STANDARD_DOMAINS = frozenset(
    {
        "",
        "ai.onnx",
        "ai.onnx.ml",
        "ai.onnx.training",
        "ai.onnx.preview.training",
        "ai.onnx.preview",
        "com.microsoft",
        "com.microsoft.nchwc",
        "com.microsoft.experimental",
        "com.microsoft.mlfeaturizers",
        "com.microsoft.dml",
        "org.pytorch.aten",
        "pkg.onnxscript.torch_lib",
        "pkg.onnxscript.torch_lib.common",
        "com.ms.internal.nhwc",
    }
)
_PYTHON_OP = re.compile(
    r"^(?:py(?:thon)?(?:op|func|funcstateless|call|customop|function)?|eagerpyfunc|"
    r"pyop[a-z]*)(?:v\d+)?$"
)


def _is_python_op(op_type: str) -> bool:
    """PyOp, PyFunc, PythonOp, Py_Func_V2... (onnxruntime-extensions style Python ops)."""
    lowered = op_type.lower()
    normal = lowered if lowered.isalnum() else "".join(ch for ch in lowered if ch.isalnum())
    return bool(normal) and _PYTHON_OP.match(normal) is not None


_MAX_DEPTH = 64
_MAX_NODES = 5_000_000
_MAX_TENSOR_BYTES = 1 << 40  # 1 TiB: beyond any real tensor
# bytes per element of TensorProto.DataType values whose size is fixed
_ELEM_SIZE = {
    1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8,
    12: 4, 13: 8, 14: 8, 15: 16, 16: 2, 17: 1, 18: 1, 19: 1, 20: 1,
}  # fmt: skip
_REMEDIATION_EXT = (
    "Do not load this model: its external data points outside the model folder. Keep "
    "external tensor files next to the model and reference them by plain relative names."
)
_REMEDIATION_DOMAIN = (
    "Running this model needs a custom operator library; load it only if you trust and "
    "have reviewed the library that implements the domain."
)
_REMEDIATION_SIZE = "Re-export the model; a loader may read out of bounds on such tensors."


@dataclass(slots=True)
class _State:
    buf: Buffer
    path: str
    model_dir: Path | None
    findings: list[Finding] = field(default_factory=list)
    local_functions: set[tuple[str, str]] = field(default_factory=set)
    local_domains: set[str] = field(default_factory=set)
    nodes: int = 0
    reported: set[tuple[str, str]] = field(default_factory=set)
    # model metadata_props values and doc strings: (pointer, text, offset), checked for
    # pickles and code carried as data
    texts: list[tuple[str, str | bytes, int | None]] = field(default_factory=list)

    def add(self, rule: str, title: str, sev: Severity, evidence: str, fix: str, at: int) -> None:
        key = (rule, evidence)
        if key in self.reported:
            return
        self.reported.add(key)
        self.findings.append(format_finding(rule, title, sev, self.path, evidence, fix, offset=at))


def _sniff_model(head: bytes) -> bool:
    """ModelProto: ir_version first, then only ModelProto fields with sane string values."""
    try:
        it = fields(head, 0, len(head))
        first = next(it)
    except (ProtoError, StopIteration):
        return False
    if first.number != 1 or first.wire != VARINT or not 1 <= first.value <= 64:
        return False
    allowed = {2: LEN, 3: LEN, 4: LEN, 5: VARINT, 6: LEN, 7: LEN, 8: LEN, 14: LEN, 20: LEN,
               25: LEN}  # fmt: skip
    seen = 0
    try:
        for f in it:
            if allowed.get(f.number) != f.wire:
                return False
            if f.number in (2, 3, 4) and (f.end - f.start > 1024 or not _printable(head, f)):
                return False
            seen += 1
    except ProtoError as exc:
        # the 4 KiB head cuts the graph; what was read so far must have fit
        return seen >= 1 and "runs past" in str(exc)
    return seen >= 1


def _printable(buf: bytes, f: WireField) -> bool:
    try:
        value = buf[f.start : f.end].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return value.isprintable()


class OnnxHandler(FormatHandler):
    """ONNX ``ModelProto`` files (any name), judged from their structure."""

    name: ClassVar[str] = "onnx"
    priority: ClassVar[int] = 20

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return _sniff_model(head)

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        model_dir = ctx.fs_path.parent if ctx.fs_path is not None else None
        with open_buffer(ctx, ctx.limits.max_file_bytes) as buf:
            state = _State(buf, ctx.display_path, model_dir)
            try:
                _model(state, 0, len(buf))
            except RecursionError:
                raise ScanError(f"{ctx.display_path}: ONNX graph nests too deeply") from None
            return state.findings + scan_embedded_values(ctx, state.texts)


_MAX_TEXTS = 10_000


def _model(st: _State, start: int, end: int) -> None:
    graphs: list[tuple[int, int]] = []
    functions: list[tuple[int, int]] = []
    for f in fields(st.buf, start, end):
        if f.number == 7 and f.wire == LEN:
            graphs.append((f.start, f.end))
        elif f.number == 6 and f.wire == LEN:  # doc_string
            st.texts.append(("doc_string", text(st.buf, f, 16 << 20), f.start))
        elif f.number == 14 and f.wire == LEN and len(st.texts) < _MAX_TEXTS:  # metadata_props
            key = value = ""
            for g in fields(st.buf, f.start, f.end):
                if g.number == 1 and g.wire == LEN:
                    key = text(st.buf, g)
                elif g.number == 2 and g.wire == LEN:
                    value = text(st.buf, g, 16 << 20)
            st.texts.append((f"metadata_props/{key[:200]}", value, f.start))
        elif f.number == 25 and f.wire == LEN:
            functions.append((f.start, f.end))
            name = domain = ""
            for g in fields(st.buf, f.start, f.end):
                if g.number == 1 and g.wire == LEN:
                    name = text(st.buf, g)
                elif g.number == 10 and g.wire == LEN:
                    domain = text(st.buf, g)
            st.local_functions.add((domain, name))
            st.local_domains.add(domain)
        elif f.number == 20 and f.wire == LEN:  # TrainingInfoProto: graphs 1 and 2
            graphs.extend((g.start, g.end) for g in fields(st.buf, f.start, f.end) if g.wire == LEN
                          and g.number in (1, 2))  # fmt: skip
    for g_start, g_end in graphs:
        _graph(st, g_start, g_end, 0)
    for f_start, f_end in functions:
        for f in fields(st.buf, f_start, f_end):
            if f.number == 7 and f.wire == LEN:
                _node(st, f.start, f.end, 0)


def _graph(st: _State, start: int, end: int, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ScanError(f"{st.path}: ONNX subgraphs nest deeper than {_MAX_DEPTH}")
    for f in fields(st.buf, start, end):
        if f.wire != LEN:
            continue
        if f.number == 1:
            _node(st, f.start, f.end, depth)
        elif f.number == 5:
            _tensor(st, f.start, f.end)
        elif f.number == 15:  # SparseTensorProto: values 1, indices 2
            for g in fields(st.buf, f.start, f.end):
                if g.wire == LEN and g.number in (1, 2):
                    _tensor(st, g.start, g.end)


def _node(st: _State, start: int, end: int, depth: int) -> None:
    st.nodes += 1
    if st.nodes > _MAX_NODES:
        raise ScanError(f"{st.path}: more than {_MAX_NODES} ONNX nodes")
    op_type = domain = ""
    for f in fields(st.buf, start, end):
        if f.wire != LEN:
            continue
        if f.number == 4:
            op_type = text(st.buf, f, 256)
        elif f.number == 7:
            domain = text(st.buf, f, 256)
        elif f.number == 5:
            _attribute(st, f.start, f.end, depth)
    if _is_python_op(op_type):
        st.add(
            "onnx-python-op",
            "ONNX node runs a Python function through a custom operator",
            Severity.HIGH,
            f"op {domain or 'ai.onnx'}::{op_type}",
            _REMEDIATION_DOMAIN,
            start,
        )
    if domain not in STANDARD_DOMAINS and (domain, op_type) not in st.local_functions:
        st.add(
            "onnx-custom-op-domain",
            "ONNX node uses an operator from an unknown custom domain",
            Severity.MEDIUM,
            f"op {domain}::{op_type}",
            _REMEDIATION_DOMAIN,
            start,
        )


def _attribute(st: _State, start: int, end: int, depth: int) -> None:
    for f in fields(st.buf, start, end):
        if f.wire != LEN:
            continue
        if f.number == 6 or f.number == 11:  # g, graphs
            _graph(st, f.start, f.end, depth + 1)
        elif f.number == 5 or f.number == 10:  # t, tensors
            _tensor(st, f.start, f.end)
        elif f.number == 22 or f.number == 23:  # sparse_tensor(s)
            for g in fields(st.buf, f.start, f.end):
                if g.wire == LEN and g.number in (1, 2):
                    _tensor(st, g.start, g.end)


def _tensor(st: _State, start: int, end: int) -> None:
    dims: list[int] = []
    data_type = 0
    name = ""
    raw_len: int | None = None
    external: dict[str, str] = {}
    location_kind = 0
    for f in fields(st.buf, start, end):
        if f.number == 1:
            dims.extend(signed64(v) for v in packed_varints(st.buf, f, 64))
        elif f.number == 2 and f.wire == VARINT:
            data_type = f.value
        elif f.number == 8 and f.wire == LEN:
            name = text(st.buf, f, 256)
        elif f.number == 9 and f.wire == LEN:
            raw_len = f.end - f.start
        elif f.number == 13 and f.wire == LEN:
            key = value = ""
            for g in fields(st.buf, f.start, f.end):
                if g.number == 1 and g.wire == LEN:
                    key = text(st.buf, g, 256)
                elif g.number == 2 and g.wire == LEN:
                    value = text(st.buf, g, 4096)
            external[key] = value
        elif f.number == 14 and f.wire == VARINT:
            location_kind = f.value
    _check_shape(st, name, dims, data_type, raw_len, start)
    if external or location_kind == 1:
        _check_external(st, name, external, start)


def _check_shape(
    st: _State, name: str, dims: list[int], data_type: int, raw_len: int | None, at: int
) -> None:
    if any(d < 0 for d in dims):
        st.add(
            "onnx-tensor-bad-shape",
            "ONNX tensor declares a negative dimension",
            Severity.MEDIUM,
            f"tensor {name!r} dims {dims[:8]}",
            _REMEDIATION_SIZE,
            at,
        )
        return
    count = 1
    for d in dims:
        count *= d
    size = _ELEM_SIZE.get(data_type)
    if count * (size or 1) > _MAX_TENSOR_BYTES:
        st.add(
            "onnx-tensor-bad-shape",
            "ONNX tensor declares an implausible size",
            Severity.MEDIUM,
            f"tensor {name!r} dims {dims[:8]} ({count} elements)",
            _REMEDIATION_SIZE,
            at,
        )
        return
    if raw_len is not None and size is not None and count * size != raw_len:
        st.add(
            "onnx-tensor-size-mismatch",
            "ONNX tensor's raw bytes do not match its shape and type",
            Severity.MEDIUM,
            f"tensor {name!r} dims {dims[:8]} x {size} B != {raw_len} B",
            _REMEDIATION_SIZE,
            at,
        )


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_DRIVE = re.compile(r"^[A-Za-z]:")


def _check_external(st: _State, name: str, external: dict[str, str], at: int) -> None:
    location = external.get("location", "")
    evidence = f"tensor {name!r} location {location!r}"
    if not location:
        st.add(
            "onnx-external-data-bad-range",
            "ONNX tensor is external but names no location",
            Severity.MEDIUM,
            f"tensor {name!r}",
            _REMEDIATION_EXT,
            at,
        )
        return
    normal = location.replace("\\", "/")
    if (
        normal.startswith("/")
        or _DRIVE.match(normal)
        or _SCHEME.match(location)
        or "\x00" in location
        or location.startswith("~")
    ):
        st.add(
            "onnx-external-data-absolute-path",
            "ONNX external data points at an absolute path or URL",
            Severity.HIGH,
            evidence,
            _REMEDIATION_EXT,
            at,
        )
        return
    level = 0
    for part in PurePosixPath(normal).parts:
        level = level - 1 if part == ".." else level + (part not in (".", ""))
        if level < 0:
            st.add(
                "onnx-external-data-traversal",
                "ONNX external data path climbs out of the model folder",
                Severity.HIGH,
                evidence,
                _REMEDIATION_EXT,
                at,
            )
            return
    _check_range(st, name, external, at)
    if st.model_dir is not None:
        _check_symlink(st, st.model_dir, normal, evidence, at)


def _check_range(st: _State, name: str, external: dict[str, str], at: int) -> None:
    for key in ("offset", "length"):
        value = external.get(key)
        if value is None:
            continue
        if not value.isdigit() or int(value) > 1 << 50:
            st.add(
                "onnx-external-data-bad-range",
                "ONNX external data has an invalid offset or length",
                Severity.MEDIUM,
                f"tensor {name!r} {key}={value!r}",
                _REMEDIATION_EXT,
                at,
            )


def _check_symlink(st: _State, model_dir: Path, location: str, evidence: str, at: int) -> None:
    base = model_dir.resolve()
    target = model_dir / location
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):
        return
    probe = model_dir
    via_link = False
    try:
        for part in PurePosixPath(location).parts:
            probe = probe / part
            via_link = via_link or probe.is_symlink()
    except OSError:  # e.g. a name too long for the file system: nothing to follow
        return
    if via_link and not resolved.is_relative_to(base):
        st.add(
            "onnx-external-data-symlink",
            "ONNX external data is a symlink out of the model folder",
            Severity.HIGH,
            f"{evidence} -> {resolved}",
            _REMEDIATION_EXT,
            at,
        )
