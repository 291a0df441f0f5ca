"""NumPy ``.npy`` files: a header dict, then raw data, or a pickle when the dtype holds objects.

``.npz`` files are zips of ``.npy`` members and go through the zip handler.
"""

from __future__ import annotations

import ast
import mmap
from typing import Any, ClassVar

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts.pickle._analyse import PickleOptions, analyse_buffer, open_buffer
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity

__all__ = ["NpyHandler"]

_MAGIC = b"\x93NUMPY"
_MAX_HEADER = 1 << 20


_MAX_DESCR_DEPTH = 32


def _has_object(descr: Any, depth: int = 0) -> bool:
    """True when the header's ``descr`` may hold Python objects (then the data is a pickle).

    A type string (``'<f8'``, ``'|O'``) holds objects when it says ``O``. A structured
    dtype is numpy's list form: ``[(name, dtype), (name, dtype, shape), …]`` where the
    name may be ``(title, name)``, the dtype is a type string or a nested list, and the
    shape an int or a tuple of ints; only the dtypes are looked at (a field named
    ``"Output"`` is not an object). Any other layout is not one numpy writes: assume the
    worst."""
    if isinstance(descr, str):
        return "O" in descr
    if not isinstance(descr, list) or depth > _MAX_DESCR_DEPTH:
        return True
    for field in descr:
        if not isinstance(field, tuple) or len(field) not in (2, 3):
            return True
        name, dtype = field[0], field[1]
        if not (isinstance(name, str) or _is_titled_name(name)):
            return True
        if len(field) == 3 and not _is_shape(field[2]):
            return True
        if _has_object(dtype, depth + 1):
            return True
    return False


def _is_titled_name(name: Any) -> bool:
    return isinstance(name, tuple) and len(name) == 2 and all(isinstance(n, str) for n in name)


def _is_shape(shape: Any) -> bool:
    if isinstance(shape, int) and not isinstance(shape, bool):
        return True
    return isinstance(shape, tuple) and all(
        isinstance(n, int) and not isinstance(n, bool) for n in shape
    )


class NpyHandler(FormatHandler):
    """``numpy.save`` output; object arrays are pickles and are judged as such."""

    name: ClassVar[str] = "npy"
    priority: ClassVar[int] = 50

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return head.startswith(_MAGIC)

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        buf = open_buffer(ctx.stream, ctx)
        try:
            return self._scan(buf, ctx)
        finally:
            if isinstance(buf, mmap.mmap):
                buf.close()

    def _scan(self, buf: Any, ctx: ArtifactContext) -> list[Finding]:
        if len(buf) < 10:
            raise ScanError(f"{ctx.display_path}: truncated .npy header")
        major = buf[6]
        if major == 1:
            hlen, start = int.from_bytes(buf[8:10], "little"), 10
        elif major in (2, 3):
            hlen, start = int.from_bytes(buf[8:12], "little"), 12
        else:
            raise ScanError(f"{ctx.display_path}: unknown .npy version {major}")
        if hlen > _MAX_HEADER or start + hlen > len(buf):
            raise ScanError(f"{ctx.display_path}: .npy header length {hlen} out of bounds")
        text = bytes(buf[start : start + hlen]).decode("latin-1")
        try:
            header = ast.literal_eval(text)  # literal only: never evaluates code
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return [_bad_header(ctx, "header is not a Python literal")]
        if not isinstance(header, dict) or "descr" not in header or "shape" not in header:
            return [_bad_header(ctx, "header lacks descr/shape")]
        if not _has_object(header["descr"]):
            return []
        ctx.detected_format = "npy-object"
        return analyse_buffer(
            buf, ctx, start + hlen, PickleOptions(multi=False, label="object array pickle")
        )


def _bad_header(ctx: ArtifactContext, why: str) -> Finding:
    return Finding(
        rule_id="npy-bad-header",
        title="NumPy file header is malformed",
        severity=Severity.MEDIUM,
        asset=ctx.display_path,
        location=Location(path=ctx.display_path, offset=0),
        evidence=why,
        frameworks=(
            FrameworkRef("ATLAS", "AML.T0010.003"),
            FrameworkRef("OWASP-LLM", "LLM03:2025"),
        ),
        remediation="Re-export the array with numpy.save from a trusted source.",
    )
