"""TensorFlow SavedModel (``saved_model.pb``) and frozen GraphDef files, decoded without TF.

A graph is code: ``PyFunc``/``EagerPyFunc`` call Python, ``ReadFile``/``WriteFile``/
``MatchingFiles`` and the reader/writer ops touch the file system, ``Save``/``Restore``
outside the checkpoint functions write or read arbitrary paths, ``PrintV2`` can write to
``file://`` streams. Every node of the graph and of every library function is checked;
asset file names that climb out of the model folder are reported too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import ClassVar

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts._format_findings import format_finding
from aisec.artifacts._protowire import (
    LEN,
    VARINT,
    Buffer,
    ProtoError,
    fields,
    open_buffer,
    text,
    varint,
)
from aisec.artifacts.keras import analyse_keras_config
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, Severity

__all__ = ["KerasMetadataHandler", "SavedModelHandler", "TfGraphDefHandler"]

# The real Python-callback ops, plus names other scanners' fixtures use for shell/library
# loading ops (not stock TensorFlow, so any graph carrying them is suspect by definition).
PYTHON_OPS = frozenset(
    {
        "PyFunc",
        "PyFuncStateless",
        "EagerPyFunc",
        "PyCall",
        "ShellExecute",
        "ExecuteOp",
        "LoadLibrary",
        "LoadLibraryV2",
        "SystemConfig",
    }
)
FILE_READ_OPS = frozenset(
    {
        "ReadFile",
        "MatchingFiles",
        "ImmutableConst",
        "FixedLengthRecordReader",
        "FixedLengthRecordReaderV2",
        "TextLineReader",
        "TextLineReaderV2",
        "WholeFileReader",
        "WholeFileReaderV2",
        "TFRecordReader",
        "TFRecordReaderV2",
        "LMDBReader",
        "IdentityReader",
        "TextLineDataset",
        "TFRecordDataset",
        "TFRecordDatasetV2",
        "FixedLengthRecordDataset",
        "FixedLengthRecordDatasetV2",
        "LoadDataset",
        "ExperimentalLMDBDataset",
        "LMDBDataset",
        "ExperimentalSqlDataset",
        "SqlDataset",
        "ExperimentalCSVDataset",
        "CSVDataset",
        "CSVDatasetV2",
        "InitializeTableFromTextFile",
        "InitializeTableFromTextFileV2",
        "DecodeProtoV2",
    }
)
FILE_WRITE_OPS = frozenset(
    {
        "WriteFile",
        "DatasetToTFRecord",
        "ExperimentalDatasetToTFRecord",
        "SaveDataset",
        "SaveDatasetV2",
        "SnapshotDataset",
        "SnapshotDatasetV2",
        "CreateSummaryFileWriter",
        "CreateSummaryDbWriter",
        "WriteAudioSummary",
        "WriteGraphSummary",
        "WriteHistogramSummary",
        "WriteImageSummary",
        "WriteRawProtoSummary",
        "WriteScalarSummary",
        "WriteSummary",
        "DebugIdentity",
        "DebugIdentityV2",
        "DebugIdentityV3",
        "DebugNanCount",
        "DebugNumericSummary",
        "DebugNumericSummaryV2",
    }
)
# Checkpoint ops: normal inside the saver subgraph and the traced save/restore functions.
CHECKPOINT_OPS = frozenset(
    {
        "Save",
        "SaveV2",
        "SaveSlices",
        "Restore",
        "RestoreV2",
        "RestoreSlice",
        "MergeV2Checkpoints",
        "ShardedFilename",
        "ShardedFilespec",
        "LoadAndRemapMatrix",
    }
)
# every op _node reports on in some place
_WATCHED_OPS = PYTHON_OPS | FILE_WRITE_OPS | FILE_READ_OPS | CHECKPOINT_OPS | {"PrintV2"}
_CHECKPOINT_FUNCTION = re.compile(
    r"(?:^|_)traced_(?:save|restore)(?:_\d+)?$|_traced_(?:save|restore)"
)
_SAVER_SCOPE = re.compile(r"^save(?:_\d+)?/")
_MAX_NODES = 5_000_000
_MAX_METADATA = 64 << 20
_REMEDIATION_PY = (
    "Do not load this model: it calls Python functions from the graph. Rebuild it without "
    "tf.py_function/tf.numpy_function."
)
_REMEDIATION_FILE = (
    "Do not serve this model until the file-system ops are explained; a model graph has "
    "no reason to read or write files outside its checkpoint functions."
)


@dataclass(slots=True)
class _State:
    buf: Buffer
    path: str
    findings: list[Finding] = field(default_factory=list)
    nodes: int = 0
    reported: set[tuple[str, str]] = field(default_factory=set)

    def add(self, rule: str, title: str, sev: Severity, evidence: str, fix: str, at: int) -> None:
        if (rule, evidence) in self.reported:
            return
        self.reported.add((rule, evidence))
        self.findings.append(format_finding(rule, title, sev, self.path, evidence, fix, offset=at))


def _node(st: _State, start: int, end: int, scope: str, in_checkpoint_fn: bool) -> None:
    st.nodes += 1
    if st.nodes > _MAX_NODES:
        raise ScanError(f"{st.path}: more than {_MAX_NODES} graph nodes")
    name_field = op_field = None
    attrs: list[tuple[int, int]] = []
    for f in fields(st.buf, start, end):
        if f.wire != LEN:
            continue
        if f.number == 1:
            name_field = f
        elif f.number == 2:
            op_field = f
        elif f.number == 5:
            attrs.append((f.start, f.end))
    op = text(st.buf, op_field, 256) if op_field is not None else ""
    if op not in _WATCHED_OPS:
        return  # nearly every node: its name is never needed
    name = text(st.buf, name_field, 512) if name_field is not None else ""
    where = f"{scope}{name}" if scope else name
    if op in PYTHON_OPS:
        st.add(
            "savedmodel-python-op",
            "TensorFlow graph calls back into Python",
            Severity.CRITICAL,
            f"node {where!r} op {op}",
            _REMEDIATION_PY,
            start,
        )
    elif op in FILE_WRITE_OPS:
        st.add(
            "savedmodel-file-write-op",
            "TensorFlow graph writes files",
            Severity.HIGH,
            f"node {where!r} op {op}",
            _REMEDIATION_FILE,
            start,
        )
    elif op in FILE_READ_OPS:
        st.add(
            "savedmodel-file-read-op",
            "TensorFlow graph reads files",
            Severity.HIGH,
            f"node {where!r} op {op}",
            _REMEDIATION_FILE,
            start,
        )
    elif op in CHECKPOINT_OPS and not (in_checkpoint_fn or _SAVER_SCOPE.match(name)):
        st.add(
            "savedmodel-checkpoint-op-misplaced",
            "TensorFlow graph saves or restores checkpoints outside the saver",
            Severity.HIGH,
            f"node {where!r} op {op}",
            _REMEDIATION_FILE,
            start,
        )
    elif op == "PrintV2":
        for a_start, a_end in attrs:
            key, value = _attr_string(st.buf, a_start, a_end)
            if key == "output_stream" and value.startswith("file://"):
                st.add(
                    "savedmodel-file-write-op",
                    "TensorFlow graph writes files",
                    Severity.HIGH,
                    f"node {where!r} PrintV2 to {value[:120]}",
                    _REMEDIATION_FILE,
                    start,
                )


def _attr_string(buf: Buffer, start: int, end: int) -> tuple[str, str]:
    """A map<string, AttrValue> entry: the key and the value's ``s`` field, if any."""
    key = value = ""
    for f in fields(buf, start, end):
        if f.number == 1 and f.wire == LEN:
            key = text(buf, f, 256)
        elif f.number == 2 and f.wire == LEN:
            for g in fields(buf, f.start, f.end):
                if g.number == 2 and g.wire == LEN:
                    value = text(buf, g, 1024)
    return key, value


def _graph(st: _State, start: int, end: int) -> None:
    for f in fields(st.buf, start, end):
        if f.wire != LEN:
            continue
        if f.number == 1:
            _node(st, f.start, f.end, "", False)
        elif f.number == 2:
            _library(st, f.start, f.end)


def _library(st: _State, start: int, end: int) -> None:
    for f in fields(st.buf, start, end):
        if f.number != 1 or f.wire != LEN:
            continue
        fn_name = ""
        node_defs: list[tuple[int, int]] = []
        for g in fields(st.buf, f.start, f.end):
            if g.wire != LEN:
                continue
            if g.number == 1:  # OpDef signature; its name is field 1
                for h in fields(st.buf, g.start, g.end):
                    if h.number == 1 and h.wire == LEN:
                        fn_name = text(st.buf, h, 512)
                        break
            elif g.number == 3:
                node_defs.append((g.start, g.end))
        checkpoint_fn = bool(_CHECKPOINT_FUNCTION.search(fn_name))
        for n_start, n_end in node_defs:
            _node(st, n_start, n_end, f"{fn_name}/", checkpoint_fn)


def _meta_graph(st: _State, start: int, end: int) -> None:
    for f in fields(st.buf, start, end):
        if f.wire != LEN:
            continue
        if f.number == 2:
            _graph(st, f.start, f.end)
        elif f.number == 6:  # AssetFileDef: filename = 2
            for g in fields(st.buf, f.start, f.end):
                if g.number == 2 and g.wire == LEN:
                    _check_asset(st, text(st.buf, g, 4096), f.start)
        elif f.number == 7:  # SavedObjectGraph: nodes = 1 -> user_object = 4 -> metadata = 3
            for node in fields(st.buf, f.start, f.end):
                if node.number != 1 or node.wire != LEN:
                    continue
                for kind in fields(st.buf, node.start, node.end):
                    if kind.number == 4 and kind.wire == LEN:
                        for g in fields(st.buf, kind.start, kind.end):
                            if g.number == 3 and g.wire == LEN:
                                _keras_metadata(st, g.start, g.end)


def _keras_metadata(st: _State, start: int, end: int) -> None:
    """Keras layer metadata (JSON) kept in a SavedModel: Lambda layers live here."""
    if end - start > _MAX_METADATA:
        raise ScanError(f"{st.path}: Keras metadata entry exceeds {_MAX_METADATA} bytes")
    raw = bytes(st.buf[start:end])
    if not raw.lstrip().startswith(b"{"):
        return
    try:
        config = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return  # not JSON: nothing Keras would build from it
    for issue in analyse_keras_config(config):
        st.add(issue.rule_id, issue.title, issue.severity, issue.evidence, issue.remediation, start)


def _check_asset(st: _State, filename: str, at: int) -> None:
    normal = filename.replace("\\", "/")
    level = 0
    escapes = normal.startswith("/") or bool(re.match(r"^[A-Za-z]:", normal))
    for part in PurePosixPath(normal).parts:
        level = level - 1 if part == ".." else level + (part not in (".", "", "/"))
        escapes = escapes or level < 0
    if escapes:
        st.add(
            "savedmodel-asset-path-traversal",
            "SavedModel asset file name points outside the assets folder",
            Severity.HIGH,
            f"asset {filename!r}",
            _REMEDIATION_FILE,
            at,
        )


_OP_NAME = re.compile(rb"[A-Z][A-Za-z0-9_>]{0,127}")
_TAG = re.compile(rb"[ -~]{1,64}")  # a serving tag or a TensorFlow version: short, printable
# MetaInfoDef fields and their wire types (stripped_default_attrs, 7, is a bool)
_META_INFO_FIELDS = {1: LEN, 2: LEN, 3: LEN, 4: LEN, 5: LEN, 6: LEN, 7: VARINT, 8: LEN}


def _opening(head: bytes, pos: int, end: int, numbers: tuple[int, ...]) -> tuple[int, int, int]:
    """(number, payload start, payload end cut at ``end``) of the LEN field at ``pos``.

    Only one-byte keys with a number in ``numbers``; ``(0, 0, 0)`` when it is not one. The
    4 KiB head usually cuts a graph, so a payload that runs past ``end`` is kept, clipped.
    """
    if pos >= end or head[pos] & 7 != LEN or head[pos] >> 3 not in numbers:
        return 0, 0, 0
    try:
        length, start = varint(head, pos + 1, end)
    except ProtoError:
        return 0, 0, 0
    return head[pos] >> 3, start, min(start + length, end)


def _node_def_opens(head: bytes, start: int, end: int) -> bool:
    """A NodeDef in ``head[start:end]``: its first fields are a name and a TF op name."""
    try:
        inner = fields(head, start, end)
        name = next(inner)
        op = next(inner)
    except (ProtoError, StopIteration):
        return False
    if (name.number, name.wire, op.number, op.wire) != (1, LEN, 2, LEN):
        return False
    return bool(_OP_NAME.fullmatch(head, op.start, op.end))


def _meta_info_def(head: bytes, start: int, end: int) -> bool:
    """A MetaInfoDef in ``head[start:end]``: only its own fields, with a TF-made one in them
    (an op list naming an op, the serving tags or the TensorFlow version)."""
    tf_made = False
    try:
        for f in fields(head, start, end):
            if _META_INFO_FIELDS.get(f.number) != f.wire:
                return False
            if f.number == 2:
                _, op_start, op_end = _opening(head, f.start, f.end, (1,))
                name_number, name_start, name_end = _opening(head, op_start, op_end, (1,))
                tf_made = tf_made or (
                    name_number == 1 and bool(_OP_NAME.fullmatch(head, name_start, name_end))
                )
            elif f.number in (4, 5):
                tf_made = tf_made or bool(_TAG.fullmatch(head, f.start, f.end))
    except ProtoError as exc:
        return tf_made and "runs past" in str(exc)
    return tf_made


def _sniff_saved_model(head: bytes) -> bool:
    """SavedModel: saved_model_schema_version (1, varint), then meta_graphs (2, LEN).

    TensorFlow writes the version, and a meta graph opening with meta_info_def (1) or
    graph_def (2). Other writers leave the version out: such a file must show the
    structure itself, a meta_info_def made by TF or a graph_def whose first node is a
    NodeDef (no ONNX ModelProto, which opens with ir_version, or GraphDef, which opens
    with a node, starts this way).
    """
    end = len(head)
    if head[:1] == b"\x08":
        try:
            first = next(fields(head, 0, end))
        except (ProtoError, StopIteration):
            return False
        if first.value != 1:
            return False
        meta_number, meta_start, _ = _opening(head, first.end, end, (2,))
        return bool(meta_number) and meta_start < end and head[meta_start] in (0x0A, 0x12)
    _, meta_start, meta_end = _opening(head, 0, end, (2,))
    number, start, stop = _opening(head, meta_start, meta_end, (1, 2))
    if not number:
        return False
    if number == 1:
        return _meta_info_def(head, start, stop)
    node_number, node_start, node_end = _opening(head, start, stop, (1,))
    return bool(node_number) and _node_def_opens(head, node_start, node_end)


def _sniff_graph_def(head: bytes) -> bool:
    """Frozen GraphDef: repeated NodeDef (field 1) whose first fields are name and op."""
    try:
        first = next(fields(head, 0, len(head)))
    except ProtoError as exc:
        if "runs past" not in str(exc):
            return False
        first = None
    except StopIteration:
        return False
    if head[:1] != b"\x0a":
        return False
    pos = 1
    while pos < len(head) and head[pos] & 0x80:
        pos += 1
    pos += 1
    end = first.end if first is not None else len(head)
    return _node_def_opens(head, pos, end)


class SavedModelHandler(FormatHandler):
    """TensorFlow ``saved_model.pb`` (a SavedModel protobuf), read without TensorFlow."""

    name: ClassVar[str] = "tf-savedmodel"
    priority: ClassVar[int] = 25

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return _sniff_saved_model(head)

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        with open_buffer(ctx, ctx.limits.max_file_bytes) as buf:
            st = _State(buf, ctx.display_path)
            for f in fields(buf, 0, len(buf)):
                if f.number == 2 and f.wire == LEN:
                    _meta_graph(st, f.start, f.end)
            return st.findings


def _sniff_keras_metadata(head: bytes) -> bool:
    """``keras_metadata.pb``: SavedMetadata, repeated SavedObject with ``_tf_keras_*`` ids."""
    if head[:1] != b"\x0a" or b"_tf_keras_" not in head:
        return False
    try:
        first = next(fields(head, 0, len(head)))
    except ProtoError as exc:
        return "runs past" in str(exc)
    except StopIteration:
        return False
    return first.number == 1 and first.wire == LEN


class KerasMetadataHandler(FormatHandler):
    """``keras_metadata.pb`` of a Keras SavedModel: per-layer JSON configs (Lambda...)."""

    name: ClassVar[str] = "keras-savedmodel-metadata"
    priority: ClassVar[int] = 26

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return _sniff_keras_metadata(head)

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        with open_buffer(ctx, ctx.limits.max_file_bytes) as buf:
            st = _State(buf, ctx.display_path)
            for node in fields(buf, 0, len(buf)):
                if node.number != 1 or node.wire != LEN:
                    continue
                for g in fields(buf, node.start, node.end):
                    if g.number == 5 and g.wire == LEN:
                        _keras_metadata(st, g.start, g.end)
            return st.findings


class TfGraphDefHandler(FormatHandler):
    """A frozen TensorFlow ``GraphDef`` (``*.pb``), read without TensorFlow."""

    name: ClassVar[str] = "tf-graphdef"
    priority: ClassVar[int] = 15

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return _sniff_graph_def(head)

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        with open_buffer(ctx, ctx.limits.max_file_bytes) as buf:
            st = _State(buf, ctx.display_path)
            _graph(st, 0, len(buf))
            return st.findings
