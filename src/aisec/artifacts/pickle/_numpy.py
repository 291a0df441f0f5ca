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


def _has_object(descr: Any) -> bool:
    if isinstance(descr, str):
        return "O" in descr
    if isinstance(descr, list | tuple):
        return any(_has_object(d) for d in descr)
    return True  # anything else is not a dtype numpy writes; assume the worst


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
