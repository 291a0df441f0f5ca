"""Parquet columns to and from per-cell bytes, so each cell is encrypted on its own.

A cell's plaintext is its value's exact bytes: UTF-8 for strings, raw bytes for binary,
the little-endian Arrow value for fixed-width types (integers, floats, booleans as one
byte, dates, times, timestamps, durations, decimals). The original Arrow field is kept in
the file's schema metadata, so decryption restores the exact type. Nulls stay null: the
validity of a cell is visible, its value is not. Nested columns are refused.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aisec.core.errors import CryptoError, InputError

_BYTES_TYPES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary,
                pa.types.is_large_binary)  # fmt: skip
_FIXED_TYPES = (pa.types.is_integer, pa.types.is_floating, pa.types.is_temporal,
                pa.types.is_decimal)  # fmt: skip


def _base(t: pa.DataType) -> pa.DataType:
    return t.value_type if pa.types.is_dictionary(t) else t


def _width(t: pa.DataType) -> int:
    if pa.types.is_boolean(t):
        return 1
    return int(t.bit_width) // 8


def check_supported(name: str, t: pa.DataType) -> None:
    base = _base(t)
    if any(f(base) for f in _BYTES_TYPES) or pa.types.is_fixed_size_binary(base):
        return
    if pa.types.is_boolean(base):
        return
    if any(f(base) for f in _FIXED_TYPES) and int(base.bit_width) % 8 == 0:
        return
    raise InputError(
        f"column {name!r} has type {t}; field encryption supports strings, binary, numbers, "
        "booleans, decimals and date/time columns, not nested ones"
    )


def to_cells(arr: Any) -> list[bytes | None]:
    """One bytes value per row (None for null)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if any(f(t) for f in _BYTES_TYPES):
        values: list[bytes | None] = arr.cast(pa.large_binary()).to_pylist()
        return values
    if pa.types.is_fixed_size_binary(t):
        fixed: list[bytes | None] = arr.to_pylist()
        return fixed
    if pa.types.is_boolean(t):
        arr = arr.cast(pa.uint8())
        t = arr.type
    w = _width(t)
    n = len(arr)
    data = np.frombuffer(arr.buffers()[1], dtype=np.uint8)[arr.offset * w : (arr.offset + n) * w]
    cells: list[bytes | None] = data.view(f"V{w}").tolist()
    if arr.null_count:
        for i, valid in enumerate(arr.is_valid().to_pylist()):
            if not valid:
                cells[i] = None
    return cells


def from_cells(values: list[bytes | None], field: pa.Field, column: str) -> pa.Array:
    """Rebuild an Arrow array of ``field``'s type from per-row bytes."""
    t = field.type
    base = _base(t)
    if any(f(base) for f in _BYTES_TYPES):
        try:
            arr = pa.array(values, type=pa.large_binary()).cast(base)
        except pa.ArrowInvalid:
            raise CryptoError(f"column {column!r}: decrypted text is not valid UTF-8") from None
    elif pa.types.is_fixed_size_binary(base):
        arr = pa.array(values, type=base)
    else:
        storage = pa.uint8() if pa.types.is_boolean(base) else base
        w = _width(storage)
        zero = bytes(w)
        parts = []
        for v in values:
            if v is not None and len(v) != w:
                raise CryptoError(f"column {column!r}: a decrypted cell has the wrong size")
            parts.append(zero if v is None else v)
        arr = pa.Array.from_buffers(storage, len(values), [None, pa.py_buffer(b"".join(parts))])
        if any(v is None for v in values):
            valid = pa.array([v is not None for v in values], type=pa.bool_())
            arr = pc.if_else(valid, arr, pa.scalar(None, type=storage))
        if storage != base:
            arr = arr.cast(base)
    if arr.type != t:
        arr = arr.cast(t)
    return arr


def field_to_text(field: pa.Field) -> str:
    return base64.b64encode(pa.schema([field]).serialize().to_pybytes()).decode("ascii")


def field_from_text(text: str, column: str) -> pa.Field:
    try:
        schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text, validate=True)))
    except (ValueError, pa.ArrowInvalid):
        raise InputError(f"column {column!r}: corrupt aisec field metadata") from None
    field: pa.Field = schema.field(0)
    return field
