"""GGUF (llama.cpp) files: bounded metadata parsing and chat-template SSTI checks.

Layout (v1-v3): ``GGUF`` magic, u32 version, tensor count and metadata count (u32 in v1,
u64 after), then key/value pairs (typed; arrays may nest), then tensor infos (name, dims,
ggml type, offset), then aligned tensor data. Counts and lengths are attacker-chosen:
llama.cpp's parser had heap overflows from them (TALOS-2024-1912..1916), so every count
and length is checked against the bytes that remain before anything is allocated. String
values that are Jinja templates (``tokenizer.chat_template``, named variants) are parsed
for SSTI (CVE-2024-34359, llama-cpp-python). Tensor data is never read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import ClassVar

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts._format_findings import format_finding
from aisec.artifacts.pickle import scan_embedded_values
from aisec.artifacts.templates import looks_like_template, template_findings
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, Severity

__all__ = ["GGUF_TYPE_SIZES", "GgufHandler"]

_MAGIC = b"GGUF"
_CHUNK = 1 << 20
_MAX_ARRAY_DEPTH = 8
_MAX_DIMS = 4  # GGML_MAX_DIMS
_MAX_STRING = 64 << 20
# fixed-size metadata value types: type id -> (struct code, size)
_SCALARS = {
    0: ("<B", 1), 1: ("<b", 1), 2: ("<H", 2), 3: ("<h", 2), 4: ("<I", 4), 5: ("<i", 4),
    6: ("<f", 4), 7: ("<?", 1), 10: ("<Q", 8), 11: ("<q", 8), 12: ("<d", 8),
}  # fmt: skip
_STRING = 8
_U32, _U32_AT = struct.Struct("<I").unpack, struct.Struct("<I").unpack_from
_U64, _U64_AT = struct.Struct("<Q").unpack, struct.Struct("<Q").unpack_from
_ARRAY = 9
# ggml type id -> (block size in elements, bytes per block); ids with settled layouts only
GGUF_TYPE_SIZES = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
    14: (256, 210), 15: (256, 292), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8),
    28: (1, 8), 30: (1, 2),
}  # fmt: skip
_MAX_GGML_TYPE = 64
_MAX_TRAILING_SCAN = 64 << 20
_REMEDIATION_BOUNDS = (
    "Do not load this file with llama.cpp or bindings older than your last update; obtain "
    "the model from its publisher. The metadata is malformed in a way parsers overflow on."
)


class _TruncatedError(Exception):
    pass


class _Reader:
    """Sequential reader over the stream, buffering lazily, capped at ``limit`` bytes."""

    def __init__(self, ctx: ArtifactContext, limit: int) -> None:
        self.stream = ctx.stream
        self.size = ctx.size
        self.limit = limit
        self.buf = b""
        self.base = 0  # file offset of buf[0]
        self.pos = 0  # file offset of the cursor
        ctx.stream.seek(0)

    @property
    def remaining(self) -> int:
        return self.size - self.pos

    def take(self, n: int) -> bytes:
        pos = self.pos
        if n > self.size - pos:
            raise _TruncatedError
        if pos + n > self.limit:
            raise ScanError(f"GGUF metadata exceeds {self.limit} bytes")
        rel = pos - self.base
        if rel + n > len(self.buf):
            self.buf = self.buf[rel:]
            self.base = pos
            rel = 0
            want = max(n - len(self.buf), _CHUNK)
            self.stream.seek(self.base + len(self.buf))
            self.buf += self.stream.read(want)
            if len(self.buf) < n:
                raise _TruncatedError
        self.pos = pos + n
        return self.buf[rel : rel + n]

    def ready(self, n: int) -> int:
        """Where the next ``n`` bytes start in ``buf`` when :meth:`take` would hand them
        over without an error or a read; -1 otherwise (then take them with :meth:`take`)."""
        pos = self.pos
        rel = pos - self.base
        end = pos + n
        if end <= self.size and end <= self.limit and rel + n <= len(self.buf):
            return rel
        return -1

    def skip(self, n: int) -> None:
        if n > self.remaining:
            raise _TruncatedError
        if self.pos + n > self.limit:
            raise ScanError(f"GGUF metadata exceeds {self.limit} bytes")
        rel = self.pos - self.base
        if rel + n <= len(self.buf):
            self.pos += n
            return
        self.pos += n
        self.buf = b""
        self.base = self.pos

    def u32(self) -> int:
        rel = self.ready(4)
        if rel < 0:
            return int(_U32(self.take(4))[0])
        self.pos += 4
        return int(_U32_AT(self.buf, rel)[0])

    def u64(self) -> int:
        rel = self.ready(8)
        if rel < 0:
            return int(_U64(self.take(8))[0])
        self.pos += 8
        return int(_U64_AT(self.buf, rel)[0])


@dataclass(slots=True)
class _State:
    path: str
    version: int
    findings: list[Finding] = field(default_factory=list)
    alignment: int = 32
    texts: list[tuple[str, str | bytes, int | None]] = field(default_factory=list)

    def bounds(self, evidence: str, offset: int) -> None:
        self.findings.append(
            format_finding(
                "gguf-metadata-out-of-bounds",
                "GGUF count or length exceeds the file (parser overflow bait)",
                Severity.HIGH,
                self.path,
                evidence,
                _REMEDIATION_BOUNDS,
                offset=offset,
            )
        )

    def invalid(self, rule: str, title: str, evidence: str, offset: int) -> None:
        self.findings.append(
            format_finding(
                rule, title, Severity.MEDIUM, self.path, evidence, _REMEDIATION_BOUNDS,
                offset=offset,
            )
        )  # fmt: skip


class _StopError(Exception):
    """Parsing cannot go on; what was found so far stands."""


def _count(r: _Reader, st: _State) -> int:
    return r.u32() if st.version == 1 else r.u64()


def _string(r: _Reader, st: _State, what: str, keep: int = _MAX_STRING) -> str:
    at = r.pos
    n = _count(r, st)
    if n > r.remaining:
        st.bounds(f"{what}: string length {n} with {r.remaining} bytes left", at)
        raise _StopError
    if n > keep:
        r.skip(n)
        return ""
    return r.take(n).decode("utf-8", "replace")


def _string_items(r: _Reader, st: _State, key: str, count: int) -> list[object]:
    """The first 16 of ``count`` string values (a vocabulary can hold 200k). Strings that
    lie whole in the buffer, below the size and read limits, are stepped over here; any
    other is read by :func:`_string` from its length on, with its errors and reads."""
    width, at = (4, _U32_AT) if st.version == 1 else (8, _U64_AT)
    items: list[object] = []
    buf, base, pos = r.buf, r.base, r.pos
    bound = min(r.size, r.limit, base + len(buf))  # file offsets take() hands out as is
    for _ in range(count):
        if pos + width <= bound:
            n = int(at(buf, pos - base)[0])
            start = pos + width
            if n <= _MAX_STRING and start + n <= bound:
                if len(items) < 16:
                    items.append(buf[start - base : start - base + n].decode("utf-8", "replace"))
                pos = start + n
                continue
        r.pos = pos
        item = _string(r, st, key)
        if len(items) < 16:
            items.append(item)
        buf, base, pos = r.buf, r.base, r.pos
        bound = min(r.size, r.limit, base + len(buf))
    r.pos = pos
    return items


def _value(r: _Reader, st: _State, vtype: int, key: str, depth: int) -> object:
    at = r.pos
    if vtype in _SCALARS:
        code, size = _SCALARS[vtype]
        return struct.unpack(code, r.take(size))[0]
    if vtype == _STRING:
        return _string(r, st, key)
    if vtype == _ARRAY:
        if depth >= _MAX_ARRAY_DEPTH:
            st.invalid("gguf-invalid-metadata", "GGUF metadata array nests too deeply", key, at)
            raise _StopError
        etype = r.u32()
        n = _count(r, st)
        min_size = _SCALARS[etype][1] if etype in _SCALARS else (4 if st.version == 1 else 8)
        if etype not in _SCALARS and etype not in (_STRING, _ARRAY):
            st.invalid(
                "gguf-invalid-metadata", "GGUF metadata has an unknown value type",
                f"{key}: array element type {etype}", at,
            )  # fmt: skip
            raise _StopError
        if n * min_size > r.remaining:
            st.bounds(f"{key}: array of {n} x type {etype} with {r.remaining} bytes left", at)
            raise _StopError
        if etype in _SCALARS:
            r.skip(n * min_size)
            return None
        if etype == _STRING:
            return _string_items(r, st, key, n)
        items: list[object] = []
        for _ in range(n):
            item = _value(r, st, etype, key, depth + 1)
            if len(items) < 16:
                items.append(item)
        return items
    st.invalid(
        "gguf-invalid-metadata", "GGUF metadata has an unknown value type",
        f"{key}: type {vtype}", at,
    )  # fmt: skip
    raise _StopError


def _metadata(r: _Reader, st: _State, kv_count: int) -> None:
    seen: set[str] = set()
    for _ in range(kv_count):
        at = r.pos
        key = _string(r, st, "metadata key", 4096)
        vtype = r.u32()
        value = _value(r, st, vtype, key, 0)
        if key in seen:
            # llama.cpp refuses duplicates, other readers keep the first or the last one
            st.invalid(
                "gguf-invalid-metadata", "GGUF metadata repeats a key (parser differential)",
                f"duplicate key {key[:80]!r}", at,
            )  # fmt: skip
        seen.add(key)
        if key == "general.alignment" and isinstance(value, int):
            if value <= 0 or value & (value - 1) or value > 1 << 20:
                st.invalid(
                    "gguf-invalid-metadata", "GGUF alignment is not a sane power of two",
                    f"general.alignment = {value}", at,
                )  # fmt: skip
            else:
                st.alignment = value
        texts = [value] if isinstance(value, str) else []
        if isinstance(value, list):
            texts = [v for v in value if isinstance(v, str)]
        for text in texts:
            st.texts.append((key, text, at))
            if looks_like_template(text):
                st.findings += template_findings(
                    text,
                    st.path,
                    prefix="gguf-template",
                    pointer=key,
                    offset=at,
                    incidental="template" not in key.lower(),
                )


def _tensors(r: _Reader, st: _State, tensor_count: int) -> list[tuple[str, int, int]]:
    infos: list[tuple[str, int, int]] = []  # name, offset, byte size (-1 unknown)
    for _ in range(tensor_count):
        at = r.pos
        name = _string(r, st, "tensor name", 4096)
        n_dims = r.u32()
        if n_dims > _MAX_DIMS:
            st.invalid(
                "gguf-tensor-invalid", "GGUF tensor declares too many dimensions",
                f"{name[:80]!r}: {n_dims} dims", at,
            )  # fmt: skip
            raise _StopError
        dims = [_count(r, st) for _ in range(n_dims)]
        ggml_type = r.u32()
        offset = r.u64()
        if ggml_type > _MAX_GGML_TYPE:
            st.invalid(
                "gguf-tensor-invalid", "GGUF tensor has an unknown ggml type",
                f"{name[:80]!r}: type {ggml_type}", at,
            )  # fmt: skip
        elements = 1
        for d in dims:
            elements *= d
        size = -1
        if ggml_type in GGUF_TYPE_SIZES:
            block, block_bytes = GGUF_TYPE_SIZES[ggml_type]
            if dims and dims[0] % block:
                st.invalid(
                    "gguf-tensor-invalid", "GGUF tensor row is not a whole number of blocks",
                    f"{name[:80]!r}: dim0 {dims[0]} vs block {block}", at,
                )  # fmt: skip
            size = elements // block * block_bytes
        if offset % st.alignment:
            st.invalid(
                "gguf-tensor-invalid", "GGUF tensor offset is not aligned",
                f"{name[:80]!r}: offset {offset} alignment {st.alignment}", at,
            )  # fmt: skip
        infos.append((name, offset, size))
    return infos


def _check_data(
    r: _Reader, st: _State, infos: list[tuple[str, int, int]], ctx: ArtifactContext
) -> None:
    data_start = -(-r.pos // st.alignment) * st.alignment
    data_size = r.size - data_start
    for name, offset, size in infos:
        end = offset + max(size, 0)
        if offset > data_size or end > data_size:
            st.bounds(
                f"tensor {name[:80]!r}: data [{offset}, {end}) beyond the {data_size}-byte "
                "data section",
                data_start + min(offset, data_size),
            )
            return
    if any(size < 0 for _, _, size in infos):
        return  # a tensor type whose size we do not model: cannot tell where data ends
    used = max((offset + size for _, offset, size in infos), default=0)
    used = -(-used // st.alignment) * st.alignment
    if data_size - used > st.alignment:
        _trailing(r, st, ctx, data_start + used, data_size - used)


def _trailing(r: _Reader, st: _State, ctx: ArtifactContext, start: int, length: int) -> None:
    ctx.stream.seek(start)
    peek = ctx.stream.read(16).lstrip(b"\0")
    hint = " (zip archive)" if peek.startswith(b"PK\x03\x04") else ""
    hint = " (pickle stream)" if peek[:1] == b"\x80" and peek[1:2] in b"\x02\x03\x04\x05" else hint
    st.findings.append(
        format_finding(
            "gguf-trailing-data",
            "GGUF file carries bytes after its last tensor (polyglot)",
            Severity.HIGH,
            st.path,
            f"{length} bytes after the tensor data{hint}",
            "Do not load this file; a second file is hidden after the model. Obtain the "
            "model from its publisher.",
            offset=start,
        )
    )
    if ctx.scan_nested is not None:
        ctx.stream.seek(start)
        payload = ctx.stream.read(min(length, _MAX_TRAILING_SCAN))
        ctx.scan_nested(payload.lstrip(b"\0"), "trailing-data", len(payload))


class GgufHandler(FormatHandler):
    """GGUF v1-v3 model files (llama.cpp), judged from metadata and tensor infos."""

    name: ClassVar[str] = "gguf"
    priority: ClassVar[int] = 52

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        # the version must be one that exists (either byte order): text starting with
        # "GGUF" is not a model
        version = head[4:8]
        return head[:4] == _MAGIC and (
            int.from_bytes(version, "little") in (1, 2, 3)
            or int.from_bytes(version, "big") in (1, 2, 3)
        )

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        r = _Reader(ctx, ctx.limits.max_header_bytes)
        path = ctx.display_path
        try:
            r.take(4)
            raw_version = r.take(4)
        except _TruncatedError:
            raise ScanError(f"{path}: truncated GGUF header") from None
        version = int.from_bytes(raw_version, "little")
        if version not in (1, 2, 3):
            if int.from_bytes(raw_version, "big") in (1, 2, 3):
                raise ScanError(f"{path}: big-endian GGUF is not supported by this scanner")
            st = _State(path, 3)
            st.invalid("gguf-invalid-metadata", "GGUF version is unknown", f"version {version}", 4)
            return st.findings
        st = _State(path, version)
        try:
            tensor_count = _count(r, st)
            kv_count = _count(r, st)
            # each pair needs a key length, a type and a value: at least 13 bytes in v2+
            if kv_count * (9 if version == 1 else 13) > r.remaining:
                st.bounds(f"metadata count {kv_count} with {r.remaining} bytes left", r.pos)
                return st.findings
            if tensor_count * (20 if version == 1 else 24) > r.remaining:
                st.bounds(f"tensor count {tensor_count} with {r.remaining} bytes left", r.pos)
                return st.findings
            _metadata(r, st, kv_count)
            infos = _tensors(r, st, tensor_count)
            _check_data(r, st, infos, ctx)
        except _StopError:
            pass
        except _TruncatedError:
            st.bounds(f"file ends inside the metadata at offset {r.pos}", r.pos)
        st.findings += scan_embedded_values(ctx, st.texts)
        return st.findings
