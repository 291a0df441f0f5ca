"""Handlers for files that are pickle streams: raw pickle (0-5), joblib and legacy torch.save.

joblib writes NumPy array bytes *between* pickle opcodes (after each NumpyArrayWrapper's
BUILD), so it is walked the way ``joblib.load`` reads it. Because plain ``pickle.load``
would read those bytes as opcodes, the file is also walked the plain way, and any
dangerous import found there is reported too (a joblib/pickle parser differential).
"""

from __future__ import annotations

import mmap
from typing import Any, ClassVar

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts.pickle._analyse import (
    LEGACY_TORCH_STREAMS,
    PickleOptions,
    analyse_buffer,
    is_legacy_torch,
    judge_events,
    looks_like_pickle,
    open_buffer,
)
from aisec.artifacts.pickle._vm import OPCODES, BuildHook, Call, DictV, Global, Machine
from aisec.core.findings import Finding

__all__ = ["LegacyTorchHandler", "PickleHandler", "joblib_build_hook"]

_JOBLIB_WRAPPER = "joblib.numpy_pickle.NumpyArrayWrapper"
_DIFFERENTIAL_RULES = frozenset(
    ("pickle-dangerous-call", "pickle-dangerous-global", "pickle-nested-payload")
)


def _dtype_info(dtype: Any) -> tuple[int, bool] | None:
    """(itemsize, has_object) of a pickled ``numpy.dtype(...)`` call with its BUILD state."""
    if not isinstance(dtype, Call) or not isinstance(dtype.args, tuple) or not dtype.args:
        return None
    code = dtype.args[0]
    if not isinstance(code, str) or not code:
        return None
    state = dtype.state
    flags = 0
    elsize = -1
    if isinstance(state, tuple) and len(state) >= 8:
        elsize = state[5] if isinstance(state[5], int) else -1
        flags = state[7] if isinstance(state[7], int) else 0
    has_object = code[0] == "O" or bool(flags & 1)
    if elsize > 0:
        return elsize, has_object
    digits = "".join(ch for ch in code if ch.isdigit())
    return (int(digits) if digits else 0), has_object


class _JoblibState:
    """What the joblib walk learns: how many array wrappers it met and, when it can tell,
    what the plain walk (pickle.load's reading, which the differential check needs) finds."""

    def __init__(self, ctx: ArtifactContext) -> None:
        self.ctx = ctx
        self.wrappers = 0
        self.diverged = False  # a wrapper's bytes were skipped (or a nested pickle walked)
        self.plain: list[Finding] | None = None


def joblib_build_hook(state_box: _JoblibState, buf: Any) -> BuildHook:
    """A BUILD hook that skips the array bytes joblib writes after each wrapper.

    Up to the first wrapper whose bytes it skips, the joblib walk and the plain walk are the
    same walk. When the plain walk would stop dead on the byte after that BUILD (joblib's
    padding length or array data is rarely an opcode, and an invalid opcode stops a walk
    before it touches anything), its findings are the events seen so far, judged now,
    before the joblib walk moves on: the plain walk need not run again from the start."""

    def hook(machine: Machine, obj: Any, state: Any, pos: int) -> int:
        skip = _array_bytes(state_box, buf, obj, state, pos)
        if skip and not state_box.diverged:
            state_box.diverged = True
            if skip > 0 and machine.start == 0 and (pos >= len(buf) or buf[pos] not in OPCODES):
                try:
                    state_box.plain = judge_events(
                        state_box.ctx,
                        machine.events,
                        machine.calls,
                        constructed=machine.constructed_only(),
                    )
                except Exception:  # the full plain walk then meets it as before
                    state_box.plain = None
        return skip

    return hook


def _array_bytes(state_box: _JoblibState, buf: Any, obj: Any, state: Any, pos: int) -> int:
    if not isinstance(obj, Call) or not isinstance(state, DictV):
        return 0
    if not (isinstance(obj.func, Global) and obj.func.full == _JOBLIB_WRAPPER):
        return 0
    fields = {k: v for k, v in state.pairs if isinstance(k, str)}
    info = _dtype_info(fields.get("dtype"))
    shape = fields.get("shape")
    if info is None or not isinstance(shape, tuple):
        return 0
    itemsize, has_object = info
    state_box.wrappers += 1
    if has_object:
        return -1  # a whole pickle follows
    count = 1
    for dim in shape:
        if not isinstance(dim, int) or dim < 0:
            return 0
        count *= dim
    padding = 0
    if fields.get("numpy_array_alignment_bytes") is not None:
        if pos >= len(buf):
            return 0
        padding = 1 + buf[pos]  # one length byte, then that many pad bytes
    return padding + count * itemsize


class PickleHandler(FormatHandler):
    """A raw pickle stream (protocols 0-5, several streams), including joblib files."""

    name: ClassVar[str] = "pickle"
    priority: ClassVar[int] = 50

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        def more(n: int) -> bytes:
            ctx.stream.seek(0)
            return ctx.stream.read(n)  # the dispatcher seeks back to 0 after sniffing

        return looks_like_pickle(head, whole=ctx.size <= len(head), more=more)

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        buf = open_buffer(ctx.stream, ctx)
        try:
            return _scan_pickle_buffer(buf, ctx)
        finally:
            if isinstance(buf, mmap.mmap):
                buf.close()


def _scan_pickle_buffer(buf: Any, ctx: ArtifactContext) -> list[Finding]:
    box = _JoblibState(ctx)
    findings = analyse_buffer(buf, ctx, 0, PickleOptions(build_hook=joblib_build_hook(box, buf)))
    if box.wrappers:
        ctx.detected_format = "joblib"
        plain = box.plain if box.plain is not None else analyse_buffer(buf, ctx, 0, PickleOptions())
        seen = {(f.rule_id, f.evidence) for f in findings}
        findings.extend(
            f
            for f in plain
            if f.rule_id in _DIFFERENTIAL_RULES and (f.rule_id, f.evidence) not in seen
        )
    return findings


class LegacyTorchHandler(FormatHandler):
    """``torch.save(..., _use_new_zipfile_serialization=False)``: five pickles, then storages."""

    name: ClassVar[str] = "pytorch-legacy"
    priority: ClassVar[int] = 55

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return is_legacy_torch(head)

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        buf = open_buffer(ctx.stream, ctx)
        try:
            opts = PickleOptions(max_streams=LEGACY_TORCH_STREAMS, raw_tail=True)
            return analyse_buffer(buf, ctx, 0, opts)
        finally:
            if isinstance(buf, mmap.mmap):
                buf.close()
