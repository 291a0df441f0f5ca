"""Zip archives, PyTorch zip checkpoints and TorchScript archives.

Members are read from their local headers the way torch's reader (miniz) does: the
encryption flag and CRC do not stop us, because they do not stop torch either — the
tricks are reported as findings and the content is scanned anyway. Central-directory
and local-header names are compared, local entries missing from the central directory
are found and scanned, overlapping entries (the non-recursive zip bomb) are refused,
and every member is decompressed under size and ratio limits. Members whose Unix mode
says symlink are checked like tar links; the Python modules of a TorchServe ``.mar``
get the same source analysis as torch.package modules.
"""

from __future__ import annotations

import bz2
import io
import itertools
import os
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, ClassVar, cast

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts._slice import SliceStream
from aisec.artifacts.containers._torchscript import scan_torchscript_code
from aisec.artifacts.pickle import PickleOptions, analyse_buffer, looks_like_pickle
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity

__all__ = ["BOMB_FLOOR", "ZipHandler", "archive_finding", "unsafe_member_path"]

_LOCAL_SIG = b"PK\x03\x04"
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CHUNK = 1 << 20
# Ratio limits apply above this expanded size: small, very compressible members (zeroed
# tensors) are normal; a bomb needs volume.
BOMB_FLOOR = 16 << 20
_SPOOL = 32 << 20
_MAR_MANIFEST = "MAR-INF/MANIFEST.json"
_MAX_LINK_TARGET = 4096  # bytes of a symlink member read as its target (PATH_MAX)
_IN_MEMORY = 8 << 20  # zips up to this size are read into memory before their headers
_DRIVE = re.compile(r"^[A-Za-z]:")
_STORAGE = re.compile(r"(^|/)(data|\.data)/[^/]+$")
_REFS = (FrameworkRef("ATLAS", "AML.T0010.003"), FrameworkRef("OWASP-LLM", "LLM03:2025"))
_EVASION_REFS = (
    FrameworkRef("ATLAS", "AML.T0011.000"),
    FrameworkRef("ATLAS", "AML.T0010.003"),
    FrameworkRef("OWASP-LLM", "LLM03:2025"),
)

ZIP_RULES: dict[str, tuple[str, Severity, tuple[FrameworkRef, ...], str]] = {
    "zip-name-mismatch": (
        "Zip member name differs between central directory and local header",
        Severity.HIGH,
        _EVASION_REFS,
        "Readers disagree on which name a member has; rebuild the archive from its source.",
    ),
    "zip-hidden-entry": (
        "Zip holds a local entry the central directory does not list",
        Severity.HIGH,
        _EVASION_REFS,
        "Streaming readers see content that directory-based scanners miss; rebuild it.",
    ),
    "zip-overlapping-entries": (
        "Zip members overlap (zip bomb construction)",
        Severity.HIGH,
        _EVASION_REFS,
        "Do not extract this archive.",
    ),
    "archive-bomb": (
        "Archive expands beyond the size or ratio limit",
        Severity.HIGH,
        _EVASION_REFS,
        "Do not extract this archive; raise the limits only for a trusted file.",
    ),
    "archive-limit": (
        "Archive exceeds a scan limit and was not fully scanned",
        Severity.MEDIUM,
        _REFS,
        "Raise the limit (members, total size, depth) if the archive is trusted.",
    ),
    "zip-encrypted-flag": (
        "Zip member is flagged as encrypted",
        Severity.MEDIUM,
        _EVASION_REFS,
        "Python's zipfile refuses such members but torch ignores the flag; the content was "
        "scanned as stored. Rebuild the archive without the flag.",
    ),
    "zip-crc-mismatch": (
        "Zip member CRC does not match its content",
        Severity.MEDIUM,
        _EVASION_REFS,
        "A bad CRC makes some scanners give up while torch still loads the member.",
    ),
    "zip-header-mismatch": (
        "Zip local header disagrees with the central directory",
        Severity.MEDIUM,
        _EVASION_REFS,
        "Readers disagree on how to decode this member; rebuild the archive.",
    ),
    "zip-duplicate-name": (
        "Zip holds two members with the same name",
        Severity.MEDIUM,
        _EVASION_REFS,
        "Readers pick different copies; rebuild the archive.",
    ),
    "zip-unreadable-member": (
        "Zip member cannot be decompressed",
        Severity.MEDIUM,
        _REFS,
        "The member could not be scanned; treat the archive as untrusted.",
    ),
    "torch-package-source": (
        "torch.package archive ships Python source that runs when it is loaded",
        Severity.MEDIUM,
        _EVASION_REFS,
        "Review the bundled modules; load the package only in an isolated environment.",
    ),
    "archive-path-traversal": (
        "Archive member path escapes the extraction folder",
        Severity.MEDIUM,
        _REFS,
        "Extracting would write outside the target folder; do not extract it blindly.",
    ),
}


def archive_finding(
    ctx: ArtifactContext, rule: str, evidence: str, offset: int | None = None
) -> Finding:
    """A finding for one of ``ZIP_RULES`` (shared with tar and 7z)."""
    title, severity, refs, remediation = ZIP_RULES[rule]
    return Finding(
        rule_id=rule,
        title=title,
        severity=severity,
        asset=ctx.display_path,
        location=Location(path=ctx.display_path, offset=offset),
        evidence=evidence[:300],
        frameworks=refs,
        remediation=remediation,
    )


def unsafe_member_path(name: str) -> bool:
    """True for absolute paths, drive letters and ``..`` components."""
    norm = name.replace("\\", "/")
    return norm.startswith("/") or bool(_DRIVE.match(norm)) or ".." in norm.split("/")


@dataclass(slots=True)
class _Entry:
    name: str
    offset: int  # local header offset
    method: int
    flags: int
    csize: int
    usize: int
    crc: int
    central: bool = True
    mode: int = 0  # Unix mode from the central directory's external attributes


class _Budget:
    def __init__(self, ctx: ArtifactContext) -> None:
        self.left = ctx.limits.max_archive_total_bytes
        self.ratio = ctx.limits.max_compression_ratio


class ZipHandler(FormatHandler):
    """Any zip: PyTorch checkpoints (any member names), TorchScript, ``.npz`` and plain zips."""

    name: ClassVar[str] = "zip"
    priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return head[:4] in (_LOCAL_SIG, b"PK\x05\x06", b"PK\x07\x08")

    def __init__(self) -> None:
        # local headers by offset: the structure checks and the member reads need each one
        self._locals: dict[int, tuple[str, int, int, int] | None] = {}
        self._mar = False  # the zip is a TorchServe model archive

    def _local(self, stream: BinaryIO, offset: int, size: int) -> tuple[str, int, int, int] | None:
        if offset not in self._locals:
            self._locals[offset] = _read_local(stream, offset, size)
        return self._locals[offset]

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        stream = ctx.stream
        if not isinstance(stream, io.BytesIO) and ctx.size <= _IN_MEMORY:
            # a member of another archive (or a polyglot's tail) read through a Python
            # stream: one read, then every header and member read below is in memory
            stream.seek(0)
            stream = io.BytesIO(stream.read(ctx.size))
        listed = _central_directory(stream.getvalue()) if isinstance(stream, io.BytesIO) else None
        if listed is None:
            listed = _zipfile_entries(ctx, stream)
        central_offsets = {e.offset for e in listed}
        findings: list[Finding] = []
        limits = ctx.limits
        if len(listed) > limits.max_archive_members:
            findings.append(
                archive_finding(
                    ctx,
                    "archive-limit",
                    f"{len(listed)} members, limit {limits.max_archive_members}",
                )
            )
        entries = listed[: limits.max_archive_members]
        findings += self._structure(ctx, stream, entries, central_offsets)
        names = [e.name for e in entries]
        kind = _kind(names)
        # TorchServe imports the handler and other modules of a .mar when it serves it
        self._mar = any(n == _MAR_MANIFEST or n.endswith("/" + _MAR_MANIFEST) for n in names)
        if self._mar and kind == "zip":
            kind = "torchserve"
        ctx.detected_format = kind
        budget = _Budget(ctx)
        scanned_offsets: set[int] = set()
        for entry in sorted(entries, key=lambda e: e.offset):
            if entry.offset in scanned_offsets:
                continue
            scanned_offsets.add(entry.offset)
            findings += self._member(ctx, stream, entry, kind, budget)
        return findings

    # -- structure checks ----------------------------------------------------------------
    def _structure(
        self,
        ctx: ArtifactContext,
        stream: BinaryIO,
        entries: list[_Entry],
        central_offsets: set[int],
    ) -> list[Finding]:
        out: list[Finding] = []
        # the streaming walk first: it reads most local headers, which the checks reuse
        walked = _walk_locals(stream, ctx.size, len(entries) + 64, self._locals)
        seen: set[str] = set()
        for e in entries:
            if e.name in seen:
                out.append(archive_finding(ctx, "zip-duplicate-name", e.name, e.offset))
            seen.add(e.name)
            if unsafe_member_path(e.name):
                out.append(archive_finding(ctx, "archive-path-traversal", e.name, e.offset))
            local = self._local(stream, e.offset, ctx.size)
            if local is None:
                out.append(
                    archive_finding(
                        ctx, "zip-unreadable-member", f"{e.name}: no local header", e.offset
                    )
                )
                continue
            lname, lflags, lmethod, _ = local
            if lname != e.name:
                out.append(
                    archive_finding(
                        ctx, "zip-name-mismatch", f"central {e.name!r} vs local {lname!r}", e.offset
                    )
                )
            if lmethod != e.method or (lflags & 1) != (e.flags & 1):
                out.append(
                    archive_finding(
                        ctx,
                        "zip-header-mismatch",
                        f"{e.name}: method {e.method}/{lmethod}, flags {e.flags:#x}/{lflags:#x}",
                        e.offset,
                    )
                )
        # overlapping member data: [offset, data end) ranges must not intersect
        spans = sorted((e.offset, self._data_start(stream, e) + e.csize, e.name) for e in entries)
        for (a_start, a_end, a_name), (b_start, _, b_name) in itertools.pairwise(spans):
            if b_start < a_end:
                out.append(
                    archive_finding(
                        ctx,
                        "zip-overlapping-entries",
                        f"{a_name!r} [{a_start}, {a_end}) overlaps {b_name!r} at {b_start}",
                        b_start,
                    )
                )
                break
        # local entries that the central directory does not list
        known = central_offsets
        for hidden in walked:
            if hidden.offset not in known:
                out.append(archive_finding(ctx, "zip-hidden-entry", hidden.name, hidden.offset))
                entries.append(hidden)
        return out

    def _data_start(self, stream: BinaryIO, e: _Entry) -> int:
        local = self._locals.get(e.offset)
        return local[3] if local is not None else _data_start(stream, e)

    # -- members -------------------------------------------------------------------------
    def _member(
        self, ctx: ArtifactContext, stream: BinaryIO, e: _Entry, kind: str, budget: _Budget
    ) -> list[Finding]:
        out: list[Finding] = []
        if e.name.endswith("/") and e.usize == 0:
            return out
        if e.flags & 1:
            out.append(archive_finding(ctx, "zip-encrypted-flag", e.name, e.offset))
        if e.usize > BOMB_FLOOR and e.csize > 0 and e.usize / e.csize > budget.ratio:
            out.append(
                archive_finding(
                    ctx, "archive-bomb", f"{e.name}: ratio {e.usize / e.csize:.0f}:1", e.offset
                )
            )
            return out
        if e.usize > budget.left:
            out.append(archive_finding(ctx, "archive-bomb", f"{e.name}: total size over limit"))
            return out
        try:
            member, actual, crc = _open_member(
                stream,
                e,
                ctx.size,
                min(budget.left, ctx.limits.max_archive_total_bytes),
                self._local(stream, e.offset, ctx.size),
            )
        except _MemberError as exc:
            out.append(archive_finding(ctx, exc.rule, f"{e.name}: {exc}", e.offset))
            return out
        budget.left -= actual
        if crc is not None and crc != e.crc and not (e.flags & 1):
            out.append(
                archive_finding(
                    ctx, "zip-crc-mismatch", f"{e.name}: {crc:#010x} != {e.crc:#010x}", e.offset
                )
            )
        if stat.S_ISLNK(e.mode):
            # unzip (and other Unix extractors) make this member a symlink to its content
            member.seek(0)
            target = member.read(_MAX_LINK_TARGET).decode("utf-8", "replace")
            if unsafe_member_path(target):
                out.append(
                    archive_finding(
                        ctx, "archive-path-traversal", f"{e.name} -> {target}", e.offset
                    )
                )
        base = e.name.rsplit("/", 1)[-1]
        if kind in ("pytorch", "torchscript") and (
            base.endswith(".pkl") or base.endswith(".debug_pkl")
        ):
            data = _read_all(member, actual, ctx)
            opts = PickleOptions(torchscript=kind == "torchscript", multi=False, label=e.name)
            out += analyse_buffer(data, ctx, 0, opts)
        elif kind == "torchscript" and "/code/" in f"/{e.name}" and base.endswith(".py"):
            out += scan_torchscript_code(_read_all(member, actual, ctx), ctx, e.name)
        elif kind == "torch-package" and base.endswith(".py"):
            # torch.package imports these modules when the package is loaded
            out.append(archive_finding(ctx, "torch-package-source", e.name, e.offset))
            out += scan_torchscript_code(_read_all(member, actual, ctx), ctx, e.name)
        elif kind == "torch-package" and base.endswith(".pkl"):
            data = _read_all(member, actual, ctx)
            out += analyse_buffer(data, ctx, 0, PickleOptions(multi=False, label=e.name))
        elif kind in ("pytorch", "torchscript") and _STORAGE.search(e.name):
            # tensor bytes: only a real pickle stream here is worth a look
            member.seek(0)
            head = member.read(4096)
            if head[:1] == b"\x80" and looks_like_pickle(head):
                data = _read_all(member, actual, ctx)
                found = analyse_buffer(data, ctx, 0, PickleOptions(label=e.name))
                out += [f for f in found if f.severity >= Severity.HIGH]
        elif self._mar and base.endswith(".py"):
            source = _read_all(member, actual, ctx)
            out += scan_torchscript_code(source, ctx, e.name, os_paths_ok=True)
        elif ctx.scan_nested is not None:
            member.seek(0)
            ctx.scan_nested(member, e.name, actual)
        return out


def _zipfile_entries(ctx: ArtifactContext, stream: BinaryIO) -> list[_Entry]:
    """The central directory as the zipfile module reads it (raises ScanError)."""
    try:
        zf = zipfile.ZipFile(stream)  # parses the central directory only
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise ScanError(f"{ctx.display_path}: not a readable zip ({exc})") from None
    return [
        _Entry(
            i.filename,
            i.header_offset,
            i.compress_type,
            i.flag_bits,
            i.compress_size,
            i.file_size,
            i.CRC,
            mode=i.external_attr >> 16,
        )
        for i in zf.infolist()
    ]


_EOCD = struct.Struct("<4s4H2LH")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_CENTRAL_SIG = b"PK\x01\x02"
_MAX_EXTRACT_VERSION = 63  # zipfile refuses newer versions


def _central_directory(data: bytes) -> list[_Entry] | None:
    """The central directory of an in-memory zip without a comment or zip64 entry fields,
    read as zipfile reads it (zip64 end records, names cut at a NUL, offsets shifted by
    any prepended data).

    None for anything else, including anything zipfile would refuse: zipfile then reads
    it, or raises its canonical error."""
    end = len(data) - _EOCD.size
    if end < 0 or data[end : end + 4] != b"PK\x05\x06" or data[-2:] != b"\x00\x00":
        return None
    _sig, _disk, _start, _here, _total, size_cd, offset_cd, _comment = _EOCD.unpack_from(data, end)
    concat = end - size_cd - offset_cd
    limit = end
    locator = end - _EOCD64_LOCATOR.size
    if locator < 0:  # zipfile would look for the zip64 locator at offset 0
        return None
    if data[locator : locator + 4] == b"PK\x06\x07":
        # zip64 end records (torch.save always writes them), read as zipfile does
        _lsig, disk, _rel, disks = _EOCD64_LOCATOR.unpack_from(data, locator)
        record = locator - _EOCD64.size
        if disk != 0 or disks > 1 or record < 0:
            return None
        fields = _EOCD64.unpack_from(data, record)
        if fields[0] == b"PK\x06\x06":
            size_cd, offset_cd = fields[8], fields[9]
            concat = end - size_cd - offset_cd - _EOCD64.size - _EOCD64_LOCATOR.size
            limit = record
    start = offset_cd + concat
    if start < 0 or start + size_cd > limit:
        return None
    out: list[_Entry] = []
    pos = start
    stop = start + size_cd
    unpack = _CENTRAL.unpack_from
    while pos < stop:
        if pos + _CENTRAL.size > stop or data[pos : pos + 4] != _CENTRAL_SIG:
            return None
        (_s, _cv, _cs, version, _r, flags, method, _t, _d, crc, csize, usize,
         nlen, xlen, clen, _disk, _ia, attrs, offset) = unpack(data, pos)  # fmt: skip
        name_at = pos + _CENTRAL.size
        pos = name_at + nlen + xlen + clen
        if pos > stop or version > _MAX_EXTRACT_VERSION:
            return None
        try:
            name = data[name_at : name_at + nlen].decode("utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            return None
        extra = data[name_at + nlen : name_at + nlen + xlen]
        while len(extra) >= 4:  # zip64 fields, or a field zipfile finds corrupt
            kind, length = struct.unpack_from("<HH", extra)
            if kind == 1 or length + 4 > len(extra):
                return None
            extra = extra[length + 4 :]
        nul = name.find("\x00")  # zipfile's ZipInfo cuts the name there
        if nul >= 0:
            name = name[:nul]
        if os.sep != "/" and os.sep in name:
            name = name.replace(os.sep, "/")
        out.append(
            _Entry(name, offset + concat, method, flags, csize, usize, crc, mode=attrs >> 16)
        )
    return out


class _MemberError(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def _kind(names: list[str]) -> str:
    if any(n.endswith(".data/extern_modules") for n in names):
        return "torch-package"
    if any(n == "constants.pkl" or n.endswith("/constants.pkl") for n in names) and any(
        "/code/" in f"/{n}" for n in names
    ):
        return "torchscript"
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return "pytorch"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    return "zip"


def _read_local(stream: BinaryIO, offset: int, size: int) -> tuple[str, int, int, int] | None:
    if offset < 0 or offset + _LOCAL.size > size:
        return None
    stream.seek(offset)
    raw = stream.read(_LOCAL.size)
    if len(raw) < _LOCAL.size:
        return None
    sig, _ver, flags, method, _t, _d, _crc, _cs, _us, nlen, xlen = _LOCAL.unpack(raw)
    if sig != _LOCAL_SIG:
        return None
    name_raw = stream.read(nlen)
    name = name_raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")
    return name, flags, method, offset + _LOCAL.size + nlen + xlen


def _data_start(stream: BinaryIO, e: _Entry) -> int:
    if e.offset < 0:
        return e.offset
    stream.seek(e.offset + 26)
    raw = stream.read(4)
    if len(raw) < 4:
        return e.offset
    nlen, xlen = struct.unpack("<HH", raw)
    return int(e.offset + _LOCAL.size + nlen + xlen)


def _walk_locals(
    stream: BinaryIO, size: int, cap: int, headers: dict[int, tuple[str, int, int, int] | None]
) -> list[_Entry]:
    """Follow local headers from offset 0 the way a streaming reader would; each header
    read is also kept in ``headers`` (by offset, as :func:`_read_local` gives it)."""
    out: list[_Entry] = []
    pos = 0
    while len(out) < cap and pos + _LOCAL.size <= size:
        stream.seek(pos)
        raw = stream.read(_LOCAL.size)
        if len(raw) < _LOCAL.size:
            break
        sig, _v, flags, method, _t, _d, crc, csize, usize, nlen, xlen = _LOCAL.unpack(raw)
        if sig != _LOCAL_SIG or (flags & 0x8 and csize == 0):
            break  # sizes only in a data descriptor: a streaming walk cannot go on safely
        name = stream.read(nlen).decode("utf-8" if flags & 0x800 else "cp437", "replace")
        out.append(_Entry(name, pos, method, flags, csize, usize, crc, central=False))
        headers.setdefault(pos, (name, flags, method, pos + _LOCAL.size + nlen + xlen))
        pos += _LOCAL.size + nlen + xlen + csize
        if flags & 0x8:
            stream.seek(pos)
            pos += 16 if stream.read(4) == b"PK\x07\x08" else 12
    return out


def _open_member(
    stream: BinaryIO, e: _Entry, size: int, budget: int, local: tuple[str, int, int, int] | None
) -> tuple[BinaryIO, int, int | None]:
    """A readable stream of the member's content, its length and its CRC (None if not
    computed); ``local`` is its parsed local header.

    Members up to ``_SPOOL`` bytes (packed) are read in one call and handed on in memory
    (stored ones are read whole for their CRC anyway); larger ones are read in place."""
    if local is None:
        raise _MemberError("zip-unreadable-member", "no local header")
    start = local[3]
    if start + e.csize > size:
        raise _MemberError("zip-unreadable-member", "data runs past the end of the file")
    if e.method not in (0, 8, 12):
        raise _MemberError("zip-unreadable-member", f"compression method {e.method} not supported")
    src: BinaryIO
    if e.csize <= _SPOOL:
        stream.seek(start)
        packed = stream.read(e.csize)
        if e.method == 0:
            return io.BytesIO(packed), e.csize, zlib.crc32(packed)
        src = io.BytesIO(packed)
    elif e.method == 0:
        return cast(BinaryIO, SliceStream(stream, start, e.csize)), e.csize, None
    else:
        src = cast(BinaryIO, SliceStream(stream, start, e.csize))
    cap = min(budget, max(e.usize, 0))
    # below the spool size a SpooledTemporaryFile would only wrap a BytesIO
    out = io.BytesIO() if cap < _SPOOL else tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115
    try:
        written, crc = _inflate(e.method, src, cast(BinaryIO, out), cap)
    except (zlib.error, OSError, EOFError) as exc:
        out.close()
        raise _MemberError("zip-unreadable-member", f"corrupt data ({exc})") from None
    except _MemberError:
        out.close()
        raise
    if written > cap:
        out.close()
        raise _MemberError("archive-bomb", f"expands past {cap} bytes (declared {e.usize})")
    out.seek(0)
    return cast(BinaryIO, out), written, crc


def _inflate(method: int, src: BinaryIO, out: BinaryIO, cap: int) -> tuple[int, int]:
    """Decompress ``src`` into ``out``, stopping one byte past ``cap``; (bytes, crc32)."""
    written = 0
    crc = 0
    if method == 8:
        z = zlib.decompressobj(-15)
        while (chunk := src.read(_CHUNK)) or z.unconsumed_tail:
            data = z.unconsumed_tail + chunk
            piece = z.decompress(data, max(cap - written + 1, 1))
            written += len(piece)
            crc = zlib.crc32(piece, crc)
            out.write(piece)
            if written > cap or z.eof:
                break
        return written, crc
    b = bz2.BZ2Decompressor()
    while not b.eof:
        chunk = src.read(_CHUNK) if b.needs_input else b""
        if b.needs_input and not chunk:
            break
        piece = b.decompress(chunk, max(cap - written + 1, 1))
        written += len(piece)
        crc = zlib.crc32(piece, crc)
        out.write(piece)
        if written > cap:
            break
    return written, crc


def _read_all(member: BinaryIO, length: int, ctx: ArtifactContext) -> bytes:
    if length > ctx.limits.max_pickle_bytes:
        raise ScanError(f"{ctx.display_path}: member of {length} bytes exceeds the pickle limit")
    member.seek(0)
    return member.read()
