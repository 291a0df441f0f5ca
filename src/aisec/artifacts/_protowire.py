"""A bounded protobuf wire-format reader for ONNX and TensorFlow files (no runtime needed).

Messages are read in place from a ``bytes``/``mmap`` buffer by offsets, so a tensor's raw
bytes are stepped over, never copied: a multi-gigabyte model is judged from its structure.
Malformed input raises :class:`ProtoError` (a ScanError), never anything else.
"""

from __future__ import annotations

import contextlib
import io
import mmap
from collections.abc import Callable, Iterator
from typing import NamedTuple

from aisec.artifacts._base import ArtifactContext
from aisec.core.errors import ScanError

__all__ = [
    "LEN",
    "VARINT",
    "Buffer",
    "ProtoError",
    "WireField",
    "fields",
    "open_buffer",
    "packed_varints",
    "signed64",
    "text",
]

VARINT = 0
I64 = 1
LEN = 2
I32 = 5


Buffer = bytes | mmap.mmap


class ProtoError(ScanError):
    """The bytes are not a well-formed protobuf message."""


class WireField(NamedTuple):
    """One field: ``value`` for VARINT/I64/I32; ``start``/``end`` of the payload for LEN.

    A named tuple: a graph has a field object per attribute, and a tuple is built at
    about half the cost of a frozen dataclass (a quarter through :data:`_new_field`)."""

    number: int
    wire: int
    value: int
    start: int
    end: int


# tuple.__new__ on the class: the named tuple without its Python-level __new__ call
_new_field: Callable[[type[WireField], tuple[int, int, int, int, int]], WireField] = tuple.__new__


def varint(buf: Buffer, pos: int, end: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise ProtoError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtoError("varint longer than 10 bytes")


def fields(buf: Buffer, start: int, end: int) -> Iterator[WireField]:
    """The fields of the message in ``buf[start:end]``, in order.

    Keys and lengths under 128 (one byte) are read inline; longer varints, and a varint
    cut off by ``end``, go through :func:`varint`."""
    pos = start
    while pos < end:
        key = buf[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtoError(f"field number 0 at offset {pos}")
        if wire == LEN:
            if pos < end and buf[pos] < 0x80:
                length = buf[pos]
                pos += 1
            else:
                length, pos = varint(buf, pos, end)
            if length > end - pos:
                raise ProtoError(f"field {number} length {length} runs past its message")
            yield _new_field(WireField, (number, wire, length, pos, pos + length))
            pos += length
        elif wire == VARINT:
            if pos < end and buf[pos] < 0x80:
                value = buf[pos]
                pos += 1
            else:
                value, pos = varint(buf, pos, end)
            yield _new_field(WireField, (number, wire, value, pos, pos))
        elif wire == I64:
            if pos + 8 > end:
                raise ProtoError("truncated fixed64")
            value = int.from_bytes(buf[pos : pos + 8], "little")
            yield _new_field(WireField, (number, wire, value, pos, pos + 8))
            pos += 8
        elif wire == I32:
            if pos + 4 > end:
                raise ProtoError("truncated fixed32")
            value = int.from_bytes(buf[pos : pos + 4], "little")
            yield _new_field(WireField, (number, wire, value, pos, pos + 4))
            pos += 4
        else:
            raise ProtoError(f"unsupported wire type {wire} at offset {pos}")


def text(buf: Buffer, field: WireField, limit: int = 1 << 16) -> str:
    """A string field, decoded leniently and cut at ``limit`` bytes."""
    end = min(field.end, field.start + limit)
    return buf[field.start : end].decode("utf-8", "replace")


def packed_varints(buf: Buffer, field: WireField, limit: int = 64) -> list[int]:
    """A repeated varint field: packed (LEN) or one value; at most ``limit`` values."""
    if field.wire == VARINT:
        return [field.value]
    out: list[int] = []
    pos = field.start
    while pos < field.end and len(out) < limit:
        value, pos = varint(buf, pos, field.end)
        out.append(value)
    return out


def signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


@contextlib.contextmanager
def open_buffer(ctx: ArtifactContext, limit: int) -> Iterator[bytes | mmap.mmap]:
    """The whole artifact as a buffer: memory-mapped when it is a file on disk that is not
    in memory already (the dispatcher reads small files whole: no open and map for them)."""
    if ctx.size > limit:
        raise ScanError(f"{ctx.display_path}: {ctx.size} bytes exceeds the {limit}-byte limit")
    if isinstance(ctx.stream, io.BytesIO):
        data = ctx.stream.getvalue()  # the bytes it was made from, not a copy
        if len(data) > limit:
            raise ScanError(f"{ctx.display_path}: exceeds the {limit}-byte limit")
        yield data
        return
    if ctx.fs_path is not None and ctx.size > 0:
        try:
            with ctx.fs_path.open("rb") as fh:
                mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise ScanError(f"{ctx.display_path}: cannot map file ({exc})") from None
        try:
            yield mapped
        finally:
            mapped.close()
        return
    ctx.stream.seek(0)
    data = ctx.stream.read(limit + 1)
    if len(data) > limit:
        raise ScanError(f"{ctx.display_path}: exceeds the {limit}-byte limit")
    yield data
