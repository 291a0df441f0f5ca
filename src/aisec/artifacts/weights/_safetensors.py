"""safetensors: validate the header against the spec, reading only the header.

Layout: 8-byte little-endian header length N, N bytes of JSON (``{name: {dtype, shape,
data_offsets}}`` plus an optional string-to-string ``__metadata__``), then the byte buffer.
The buffer must be fully indexed with no holes or overlaps: holes and trailing bytes are
where a polyglot hides a second file (a pickle, a zip); overlaps and out-of-range offsets
crash or confuse loaders; a huge N is a header size bomb. A 10 GB file is judged in
milliseconds because tensor bytes are never read (only a peek at trailing data).
"""

from __future__ import annotations

import json
from typing import ClassVar, Protocol

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts._format_findings import format_finding
from aisec.artifacts.pickle import scan_embedded_values
from aisec.artifacts.templates import looks_like_template, template_findings
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, Severity

__all__ = ["DTYPE_BITS", "SafetensorsHandler"]

# dtype -> bits per element (safetensors spec, including the sub-byte float formats)
DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
    "F64": 64, "I64": 64, "U64": 64, "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}  # fmt: skip
SPEC_MAX_HEADER = 100_000_000  # the reference implementation refuses larger headers
_MAX_TENSORS = 1_000_000
_MAX_TRAILING_SCAN = 64 << 20
_PICKLE_PREFIXES = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
_REMEDIATION = (
    "Do not load this file; re-export the tensors with the safetensors library and take "
    "the model from a trusted source."
)
_TITLES = {
    "safetensors-header-too-large": "safetensors header length is a size bomb",
    "safetensors-header-truncated": "safetensors header runs past the end of the file",
    "safetensors-header-invalid": "safetensors header is not valid JSON of the right shape",
    "safetensors-header-duplicate-key": "safetensors header repeats a key",
    "safetensors-unknown-dtype": "safetensors tensor has an unknown dtype",
    "safetensors-bad-shape": "safetensors tensor has an invalid shape or offsets",
    "safetensors-size-mismatch": "safetensors tensor byte range does not match shape x dtype",
    "safetensors-offset-out-of-range": "safetensors tensor lies outside the data buffer",
    "safetensors-header-overlap": "safetensors tensors overlap",
    "safetensors-header-gap": "safetensors data buffer has unindexed bytes (a hole)",
    "safetensors-trailing-data": "safetensors file carries bytes after its last tensor",
    "safetensors-metadata-not-string": "safetensors __metadata__ holds non-string values",
}
_SEVERITY = {
    "safetensors-header-too-large": Severity.HIGH,
    "safetensors-trailing-data": Severity.HIGH,
    "safetensors-header-gap": Severity.HIGH,
    "safetensors-header-overlap": Severity.HIGH,
    "safetensors-offset-out-of-range": Severity.HIGH,
    "safetensors-header-duplicate-key": Severity.HIGH,
}


class _Add(Protocol):
    def __call__(self, rule: str, evidence: str, *, pointer: str | None = None) -> None: ...


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def _is_uint(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class SafetensorsHandler(FormatHandler):
    """``.safetensors`` files (any name): header-only validation."""

    name: ClassVar[str] = "safetensors"
    # before pickle: a length prefix such as 0x0180 starts with the bytes of PROTO 1
    priority: ClassVar[int] = 52

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        if len(head) < 10:
            return False
        n = int.from_bytes(head[:8], "little")
        if head[8:9] != b"{" or n < 2 or head[9:10] not in (b'"', b"}", b" ", b"\n"):
            return False
        if n <= ctx.size - 8:
            return True
        # A length past the end of the file: a header bomb or truncation, unless the
        # "length" is just text (a file that happens to have "{" at offset 8).
        return head[9:10] in (b'"', b"}") and not all(32 <= b < 127 for b in head[:8])

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        path = ctx.display_path
        findings: list[Finding] = []

        def add(rule: str, evidence: str, *, pointer: str | None = None) -> None:
            findings.append(
                format_finding(
                    rule,
                    _TITLES[rule],
                    _SEVERITY.get(rule, Severity.MEDIUM),
                    path,
                    evidence,
                    _REMEDIATION,
                    pointer=pointer,
                )
            )

        ctx.stream.seek(0)
        prefix = ctx.stream.read(8)
        if len(prefix) < 8:
            raise ScanError(f"{path}: shorter than the 8-byte safetensors length prefix")
        n = int.from_bytes(prefix, "little")
        limit = min(ctx.limits.max_header_bytes, SPEC_MAX_HEADER)
        if n > limit:
            add("safetensors-header-too-large", f"header length {n} bytes (limit {limit})")
            return findings
        if 8 + n > ctx.size:
            add("safetensors-header-truncated", f"header length {n}, file size {ctx.size}")
            return findings
        raw = ctx.stream.read(n)
        try:
            header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
        except _DuplicateKeyError as dup:
            add("safetensors-header-duplicate-key", f"key {dup.key[:80]!r} appears twice")
            return findings
        except RecursionError:
            add("safetensors-header-invalid", "JSON nested too deeply")
            return findings
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            add("safetensors-header-invalid", f"invalid JSON: {exc}")
            return findings
        if not isinstance(header, dict):
            add("safetensors-header-invalid", f"header is a JSON {type(header).__name__}")
            return findings
        if len(header) > _MAX_TENSORS:
            add("safetensors-header-invalid", f"{len(header)} entries")
            return findings
        data_size = ctx.size - 8 - n
        spans = self._entries(header, data_size, add)
        self._layout(spans, data_size, add, ctx, 8 + n)
        metadata = header.get("__metadata__")
        if metadata is not None:
            findings += self._metadata(metadata, path, add)
            if isinstance(metadata, dict):
                findings += scan_embedded_values(
                    ctx,
                    (
                        (f"/__metadata__/{key}", value, None)
                        for key, value in list(metadata.items())[:10_000]
                        if isinstance(value, str)
                    ),
                )
        return findings

    def _entries(
        self, header: dict[str, object], data_size: int, add: _Add
    ) -> list[tuple[int, int, str]]:
        spans: list[tuple[int, int, str]] = []
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            pointer = "/" + name.replace("~", "~0").replace("/", "~1")
            if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
                add("safetensors-header-invalid", f"entry {name[:80]!r}", pointer=pointer)
                continue
            dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
            if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
                add("safetensors-unknown-dtype", f"{name[:80]!r}: {dtype!r}", pointer=pointer)
                continue
            if (
                not isinstance(shape, list)
                or not all(_is_uint(d) for d in shape)
                or not isinstance(offsets, list)
                or len(offsets) != 2
                or not all(_is_uint(o) for o in offsets)
                or offsets[0] > offsets[1]
            ):
                add(
                    "safetensors-bad-shape",
                    f"{name[:80]!r}: shape {str(shape)[:60]} offsets {str(offsets)[:60]}",
                    pointer=pointer,
                )
                continue
            begin, end = int(offsets[0]), int(offsets[1])
            count = 1
            for d in shape:
                count *= int(d)
            expected = (count * DTYPE_BITS[dtype] + 7) // 8
            if expected != end - begin:
                add(
                    "safetensors-size-mismatch",
                    f"{name[:80]!r}: {dtype}{shape[:8]} needs {expected} B, "
                    f"offsets span {end - begin} B",
                    pointer=pointer,
                )
            if end > data_size:
                add(
                    "safetensors-offset-out-of-range",
                    f"{name[:80]!r}: ends at {end}, data buffer is {data_size} B",
                    pointer=pointer,
                )
                continue
            spans.append((begin, end, name))
        return spans

    def _layout(
        self,
        spans: list[tuple[int, int, str]],
        data_size: int,
        add: _Add,
        ctx: ArtifactContext,
        data_start: int,
    ) -> None:
        spans.sort()
        cursor = 0
        for begin, end, name in spans:
            if begin < cursor:
                add("safetensors-header-overlap", f"{name[:80]!r} starts at {begin} < {cursor}")
            elif begin > cursor:
                add("safetensors-header-gap", f"{begin - cursor} unindexed bytes at {cursor}")
            cursor = max(cursor, end)
        if data_size > cursor:
            ctx.stream.seek(data_start + cursor)
            peek = ctx.stream.read(16)
            hint = " (pickle stream)" if peek.startswith(_PICKLE_PREFIXES) else ""
            hint = " (zip archive)" if peek.startswith(b"PK\x03\x04") else hint
            add(
                "safetensors-trailing-data",
                f"{data_size - cursor} bytes after the last tensor{hint}",
            )
            if ctx.scan_nested is not None:
                # judge the hidden payload too (a pickle or zip appended to the tensors)
                ctx.stream.seek(data_start + cursor)
                payload = ctx.stream.read(min(data_size - cursor, _MAX_TRAILING_SCAN))
                ctx.scan_nested(payload, "trailing-data", len(payload))

    def _metadata(self, metadata: object, path: str, add: _Add) -> list[Finding]:
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            add("safetensors-metadata-not-string", str(metadata)[:120], pointer="/__metadata__")
            return []
        out: list[Finding] = []
        for key, value in list(metadata.items())[:10_000]:
            if isinstance(value, str) and looks_like_template(value):
                out += template_findings(
                    value,
                    path,
                    prefix="safetensors-template",
                    pointer=f"/__metadata__/{key}",
                    incidental="template" not in key.lower(),
                )
        return out
