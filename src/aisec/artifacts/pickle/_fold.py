"""Constant folding for the few pure functions attackers use to hide strings and payloads.

``operator.add("o", "s")`` is the string ``"os"``; ``base64.b64decode(b"...")`` is bytes
that ``pickle.loads`` would run. Folding never calls into the pickle's globals: each
supported function is re-implemented here on constant arguments, with size bounds.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import lzma
import zlib
from typing import Any

from aisec.artifacts.pickle._values import Call, Global

__all__ = ["fold"]

_MAX_OUT = 64 << 20
_MAX_DEPTH = 12


def _norm(module: str, name: str) -> str:
    module = {
        "_codecs": "codecs",
        "_operator": "operator",
        "_io": "io",
        "__builtin__": "builtins",
    }.get(module, module)
    return f"{module}.{name}"


def _as_bytes(v: Any) -> bytes | None:
    if isinstance(v, bytes):
        return v
    if isinstance(v, str):
        try:
            return v.encode("latin-1")
        except UnicodeEncodeError:
            return v.encode("utf-8")
    return None


def _bounded_decompress(kind: str, data: bytes) -> bytes | None:
    try:
        if kind == "zlib":
            d = zlib.decompressobj()
            out = d.decompress(data, _MAX_OUT)
            return out if not d.unconsumed_tail else None
        if kind == "bz2":
            b = bz2.BZ2Decompressor()
            out = b.decompress(data, _MAX_OUT)
            return out if b.eof else None
        if kind == "lzma":
            lz = lzma.LZMADecompressor()
            out = lz.decompress(data, _MAX_OUT)
            return out if lz.eof else None
        if kind == "gzip":
            d = zlib.decompressobj(wbits=31)
            out = d.decompress(data, _MAX_OUT)
            return out if not d.unconsumed_tail else None
    except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError):
        return None
    return None


_B64 = {
    "base64.b64decode": base64.b64decode,
    "base64.standard_b64decode": base64.standard_b64decode,
    "base64.urlsafe_b64decode": base64.urlsafe_b64decode,
    "base64.decodebytes": base64.decodebytes,
    "base64.b32decode": base64.b32decode,
    "base64.b16decode": base64.b16decode,
    "base64.b85decode": base64.b85decode,
    "base64.a85decode": base64.a85decode,
    "binascii.a2b_base64": binascii.a2b_base64,
    "binascii.a2b_hex": binascii.a2b_hex,
    "binascii.unhexlify": binascii.unhexlify,
}
_DECOMPRESS = {
    "zlib.decompress": "zlib",
    "bz2.decompress": "bz2",
    "lzma.decompress": "lzma",
    "gzip.decompress": "gzip",
}


def fold(value: Any, depth: int = 0) -> Any:
    """The constant ``value`` evaluates to, or ``None`` when it is not a known constant."""
    if isinstance(value, str | bytes | int | float):
        return value
    if depth > _MAX_DEPTH or not isinstance(value, Call) or not isinstance(value.func, Global):
        return None
    fn = _norm(value.func.module, value.func.name)
    args = value.args if isinstance(value.args, tuple) else ()
    vals = [fold(a, depth + 1) for a in args[:3]]
    if not vals or vals[0] is None:
        return None
    first = vals[0]
    try:
        if fn in ("operator.add", "operator.concat", "operator.iadd") and len(vals) >= 2:
            a, b = vals[0], vals[1]
            if isinstance(a, str) and isinstance(b, str):
                return a + b
            if isinstance(a, bytes) and isinstance(b, bytes) and len(a) + len(b) <= _MAX_OUT:
                return a + b
            return None
        if fn == "codecs.encode" and isinstance(first, str):
            enc = vals[1] if len(vals) > 1 and isinstance(vals[1], str) else "utf-8"
            if enc.lower().replace("-", "") in ("latin1", "utf8", "ascii", "iso88591"):
                return first.encode(enc)
            return None
        if fn == "codecs.decode" and len(vals) > 1 and isinstance(vals[1], str):
            raw = _as_bytes(first)
            enc = vals[1].lower().replace("-", "_")
            if raw is None:
                return None
            if enc in ("base64", "base64_codec"):
                return base64.b64decode(raw)
            if enc in ("hex", "hex_codec"):
                return binascii.unhexlify(raw)
            if enc in ("zlib", "zlib_codec"):
                return _bounded_decompress("zlib", raw)
            if enc in ("bz2", "bz2_codec"):
                return _bounded_decompress("bz2", raw)
            return None
        if fn in _B64:
            raw = _as_bytes(first)
            return None if raw is None else bytes(_B64[fn](raw))
        if fn in _DECOMPRESS:
            raw = _as_bytes(first)
            return None if raw is None else _bounded_decompress(_DECOMPRESS[fn], raw)
        if fn == "builtins.bytes.fromhex" and isinstance(first, str):
            return bytes.fromhex(first)
        if fn in ("builtins.bytes", "builtins.bytearray", "io.BytesIO"):
            return _as_bytes(first)
        if fn in ("builtins.str", "io.StringIO") and isinstance(first, str):
            return first
    except (ValueError, binascii.Error, TypeError):
        return None
    return None
