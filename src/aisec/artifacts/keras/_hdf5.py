"""HDF5 files: legacy Keras ``.h5`` models and plain data, read with h5py, never with Keras.

A legacy Keras model keeps its architecture as JSON in the root attribute ``model_config``
(and losses/metrics in ``training_config``): Lambda layers there carry marshalled bytecode
that ``load_model`` runs (CVE-2024-3660; ``safe_mode`` is ignored for ``.h5``,
CVE-2025-9905). HDF5 itself can point outside the file: external links, external raw
storage and virtual datasets make a reader open other paths (``/etc/passwd``). Plain
data files without those are clean.
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts._format_findings import format_finding
from aisec.artifacts.keras._config import (
    analyse_keras_config,
    keras_issue_findings,
    load_json_bounded,
)
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, Severity
from aisec.core.jobs import IsolatedWorker, Task, WorkerFailure

if TYPE_CHECKING:
    import h5py

__all__ = ["HDF5_TIMEOUT_S", "Hdf5Handler", "drop_ahead", "send_ahead"]

_MAGIC = b"\x89HDF\r\n\x1a\n"
_MAX_OBJECTS = 100_000
_MAX_DEPTH = 64
_CONFIG_ATTRS = ("model_config", "training_config")
_REMEDIATION_LINK = (
    "Do not open this file with tools that follow links; rewrite it with the data copied "
    "in (h5py: copy datasets, drop external links and virtual sources)."
)


def _magic_offset(head: bytes) -> int | None:
    # The superblock sits at 0 or after a user block of 512, 1024, 2048... bytes.
    offset = 0
    while offset + len(_MAGIC) <= len(head):
        if head[offset : offset + len(_MAGIC)] == _MAGIC:
            return offset
        offset = 512 if offset == 0 else offset * 2
    return None


def _attr_text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    item = getattr(value, "item", None)  # numpy scalar/0-d array of bytes
    if callable(item):
        inner = item()
        if isinstance(inner, bytes | str):
            return _attr_text(inner)
    return None


def _config_findings(
    node: Any, path: str, limit: int, payloads: list[tuple[str, bytes]]
) -> list[Finding]:
    """Keras configs in the root's attributes; ``node`` is the root as ``f["/"]`` gives it."""
    import h5py

    findings: list[Finding] = []
    for attr in _CONFIG_ATTRS:
        if not h5py.h5a.exists(node.id, attr.encode()):  # what ``attr in f.attrs`` asks
            continue
        text = _attr_text(h5py.AttributeManager(node)[attr])
        if text is None:
            continue
        data = text.encode("utf-8")
        if len(data) > limit:
            raise ScanError(f"{path}: attribute {attr} exceeds {limit} bytes")
        config = load_json_bounded(data, f"{path} attribute {attr}")
        issues = analyse_keras_config(config)
        payloads += [(f"torch-module{i.pointer}", i.payload) for i in issues if i.payload]
        findings += keras_issue_findings(issues, path, prefix=f"@{attr}")
    return findings


def _walk_findings(root: h5py.h5g.GroupID, path: str) -> list[Finding]:
    """External links, external storage and virtual datasets, without following any.

    One recursive link visit inside libhdf5 (H5Lvisit, which enters each group once), not
    the high-level API's object per name: about twenty times fewer Python calls a file.
    An error inside the callback ends the visit and is raised after it (raised through
    libhdf5 it would become a SystemError that ends the worker).
    """
    import h5py

    open_object = h5py.h5o.open
    dataset_id = h5py.h5d.DatasetID
    hard, external = h5py.h5l.TYPE_HARD, h5py.h5l.TYPE_EXTERNAL
    findings: list[Finding] = []
    seen = 0
    stop: str | None = None
    failure: Exception | None = None

    def visit(raw: bytes, info: Any) -> object:
        nonlocal seen, stop, failure
        seen += 1
        if seen > _MAX_OBJECTS:
            stop = f"{path}: more than {_MAX_OBJECTS} HDF5 objects"
            return stop
        if raw.count(b"/") >= _MAX_DEPTH:
            stop = f"{path}: HDF5 groups nest deeper than {_MAX_DEPTH}"
            return stop
        try:
            kind = info.type
            if kind == hard:
                obj = open_object(root, raw)
                if isinstance(obj, dataset_id):
                    findings.extend(_dataset_findings(obj.get_create_plist(), raw, path))
            elif kind == external:
                target, obj_path = root.links.get_val(raw)
                name = "/" + os.fsdecode(raw)
                findings.append(
                    format_finding(
                        "hdf5-external-link",
                        "HDF5 file links to an object in another file",
                        Severity.HIGH,
                        path,
                        f"{name} -> {os.fsdecode(target)}:{os.fsdecode(obj_path)}",
                        _REMEDIATION_LINK,
                        pointer=name,
                    )
                )
        except Exception as exc:  # raised below, once libhdf5 has returned
            failure = exc
            return failure
        return None  # soft links name something inside this file: nothing to report

    root.links.visit(visit, info=True)
    if failure is not None:
        raise failure
    if stop is not None:
        raise ScanError(stop)
    return findings


def _dataset_findings(dcpl: Any, raw: bytes, path: str) -> list[Finding]:
    import h5py

    out: list[Finding] = []
    count = dcpl.get_external_count()
    if count > 0:
        name = "/" + os.fsdecode(raw)
        files = ", ".join(os.fsdecode(dcpl.get_external(i)[0]) for i in range(min(count, 5)))
        out.append(
            format_finding(
                "hdf5-external-storage",
                "HDF5 dataset reads its bytes from another file",
                Severity.HIGH,
                path,
                f"{name} stored in {files}",
                _REMEDIATION_LINK,
                pointer=name,
            )
        )
    if dcpl.get_layout() == h5py.h5d.VIRTUAL:
        name = "/" + os.fsdecode(raw)
        names = {str(dcpl.get_virtual_filename(j)) for j in range(dcpl.get_virtual_count())}
        sources = ", ".join(sorted(names)[:5])
        out.append(
            format_finding(
                "hdf5-virtual-dataset",
                "HDF5 virtual dataset maps data from other files",
                Severity.HIGH if sources.strip(".") else Severity.LOW,
                path,
                f"{name} maps {sources}",
                _REMEDIATION_LINK,
                pointer=name,
            )
        )
    return out


# libhdf5 is C code that hangs or crashes on some malformed files (fuzzing found a file
# whose attribute read never returns), so files are opened in a child process with a
# deadline; a hang or crash becomes an error verdict instead of a stuck or dead scanner.
# The deadline grows with the file (a second per 10 MiB, at least 5 s, at most 30 s): a
# file's object count, which the walk's time follows (~10 us an object), is bounded by its
# size, so a small hostile file ends in seconds instead of holding the scan for 30.
HDF5_TIMEOUT_S = 30.0  # the most any file gets
HDF5_MIN_TIMEOUT_S = 5.0  # what a small file gets; its walk takes milliseconds
_TIMEOUT_BYTES_PER_S = 10 << 20
_MAX_IN_MEMORY = 1 << 30

_Outcome = tuple[list[Finding], list[tuple[str, bytes]]] | str


def _open(source: str | bytes) -> h5py.h5f.FileID:
    """A file on disk, opened as ``h5py.File(path, "r")`` opens it, or bytes as an
    in-memory file image (libhdf5's core driver: no Python callback per read, as a file
    object would need). Low-level calls: the high-level File costs more than its open."""
    import h5py  # imported on first use: it costs a quarter second of start-up
    from h5py._hl.compat import filename_encode  # how h5py.File spells a path for libhdf5

    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    if isinstance(source, str):
        # h5py.File's access list: the library defaults but for these version bounds
        fapl.set_libver_bounds(h5py.h5f.LIBVER_EARLIEST, h5py.h5f.LIBVER_LATEST)
        return h5py.h5f.open(filename_encode(source), h5py.h5f.ACC_RDONLY, fapl=fapl)
    fapl.set_fapl_core(backing_store=False)
    fapl.set_file_image(source)
    return h5py.h5f.open(b"memory-image", h5py.h5f.ACC_RDONLY, fapl=fapl)


def _close(fid: h5py.h5f.FileID) -> None:
    """What ``h5py.File.close`` does to libhdf5: every object of the file, then the file, so
    the next in-memory image (same name) never meets this one still open. Not its last
    step, ``FileID.close``, which walks every h5py object of the process to retire those
    whose ids were closed (a third of an open and close): :func:`_analyse` calls this once
    it holds none of the file's objects, and does that step too after an error."""
    import h5py

    fid._close_open_objects(h5py.h5f.OBJ_LOCAL | ~h5py.h5f.OBJ_FILE)
    fid._close_open_objects(h5py.h5f.OBJ_LOCAL | h5py.h5f.OBJ_FILE)


def _judge(
    fid: h5py.h5f.FileID, path: str, json_limit: int, payloads: list[tuple[str, bytes]]
) -> list[Finding]:
    """Findings of an open file: Keras configs in the root's attributes, then links."""
    import h5py

    # "/" opened as ``f.attrs`` opened it first, so a damaged root fails the same way
    oid = h5py.h5o.open(fid, b"/")
    if isinstance(oid, h5py.h5g.GroupID):
        node: Any = h5py.Group(oid)
    elif isinstance(oid, h5py.h5d.DatasetID):  # a root that is no group: h5py's
        node = h5py.Dataset(oid, readonly=True)  # wrapping, then h5g.open fails
    else:
        node = h5py.Datatype(oid)
    findings = _config_findings(node, path, json_limit, payloads)
    root = oid if isinstance(oid, h5py.h5g.GroupID) else h5py.h5g.open(fid, b"/")
    return findings + _walk_findings(root, path)


def _analyse(source: str | bytes, path: str, json_limit: int) -> _Outcome:
    payloads: list[tuple[str, bytes]] = []
    try:
        fid = _open(source)
        try:
            findings = _judge(fid, path, json_limit, payloads)
        except BaseException:
            _close(fid)
            fid.close()  # the traceback holds _judge's objects: h5py retires their ids
            raise
        _close(fid)  # the file's objects were _judge's locals, gone with it
        return findings, payloads
    except ScanError as exc:
        return exc.message
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
        return f"{path}: unreadable HDF5 ({exc})"


def _deadline(source: str | bytes) -> float:
    """Seconds the child may take on ``source`` (a path or the file's bytes)."""
    try:
        size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    except OSError:
        return HDF5_TIMEOUT_S
    return min(HDF5_TIMEOUT_S, max(HDF5_MIN_TIMEOUT_S, size / _TIMEOUT_BYTES_PER_S))


# One long-lived child opens HDF5 files: libhdf5 is C that hostile files can hang or
# crash, so it runs behind the Executor's isolated worker, under a deadline per file.
_WORKER = IsolatedWorker()
atexit.register(_WORKER.stop)


def _failure(path: str, failure: WorkerFailure) -> str:
    if failure.kind == "timeout":
        return f"{path}: HDF5 parser did not finish within {failure.deadline:.0f} s"
    return f"{path}: HDF5 parser crashed on this file (exit code {failure.exitcode})"


def _isolated(source: str | bytes, path: str, json_limit: int) -> _Outcome:
    outcome = _WORKER.run(Task(_analyse, (source, path, json_limit)), _deadline(source))
    return _failure(path, outcome) if isinstance(outcome, WorkerFailure) else outcome


def send_ahead(data: bytes, path: str, ctx: ArtifactContext) -> Task[_Outcome]:
    """Start the HDF5 analysis of ``data`` (to be scanned later as ``path``) now, so the
    child works while the caller does; returns the task to give :func:`drop_ahead`."""
    task = Task(_analyse, (data, path, ctx.limits.max_json_bytes))
    _WORKER.send_ahead(task, _deadline(data))
    return task


def drop_ahead(task: Task[_Outcome]) -> None:
    """Called once the caller is done: a task sent ahead that no scan asked for is dropped."""
    _WORKER.drop_ahead(task)


def _scan(source: str | bytes, path: str, ctx: ArtifactContext) -> list[Finding]:
    outcome = _isolated(source, path, ctx.limits.max_json_bytes)
    if isinstance(outcome, str):
        raise ScanError(outcome)
    findings, payloads = outcome
    if ctx.scan_nested is not None:
        for name, payload in payloads:
            ctx.scan_nested(payload, name, len(payload))
    return findings


class Hdf5Handler(FormatHandler):
    """HDF5 (legacy Keras ``.h5`` and plain data); the Keras config is JSON in an attribute."""

    name: ClassVar[str] = "hdf5"
    priority: ClassVar[int] = 40

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return _magic_offset(head) is not None

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        if ctx.fs_path is not None:
            return _scan(str(ctx.fs_path), ctx.display_path, ctx)
        if ctx.size > _MAX_IN_MEMORY:
            raise ScanError(f"{ctx.display_path}: nested HDF5 over {_MAX_IN_MEMORY} bytes")
        ctx.stream.seek(0)
        return _scan(ctx.stream.read(_MAX_IN_MEMORY), ctx.display_path, ctx)
