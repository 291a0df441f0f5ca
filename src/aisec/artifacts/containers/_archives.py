"""tar and 7z archives: members are scanned under limits, tar ones in memory when small
(through tarfile's stream when large), 7z ones in memory, read by a small header parser in
the common layout and by py7zr otherwise."""

from __future__ import annotations

import lzma
import stat
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts.containers._zip import BOMB_FLOOR, archive_finding, unsafe_member_path
from aisec.core.errors import ScanError
from aisec.core.findings import Finding

__all__ = ["SevenZipHandler", "TarHandler"]

_7Z_MAGIC = b"7z\xbc\xaf\x27\x1c"


def _tar_checksum_ok(head: bytes) -> bool:
    if len(head) < 512:
        return False
    block = head[:512]
    try:
        stored = int(block[148:156].replace(b"\x00", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:512])
    return stored == unsigned


class TarHandler(FormatHandler):
    """POSIX/GNU tar (uncompressed; gzip/bz2/xz wrappers are peeled by the compressed handler)."""

    name: ClassVar[str] = "tar"
    priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return head[257:262] == b"ustar" or _tar_checksum_ok(head)

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        import tarfile  # on the first tar, not when the package loads

        limits = ctx.limits
        findings: list[Finding] = []
        total = 0
        try:
            tf = tarfile.open(fileobj=ctx.stream, mode="r:")  # noqa: SIM115 - closed below
        except (tarfile.TarError, OSError) as exc:
            raise ScanError(f"{ctx.display_path}: not a readable tar ({exc})") from None
        try:
            for count, member in enumerate(tf):
                if count >= limits.max_archive_members:
                    findings.append(
                        archive_finding(
                            ctx, "archive-limit", f"more than {limits.max_archive_members} members"
                        )
                    )
                    break
                if unsafe_member_path(member.name):
                    findings.append(archive_finding(ctx, "archive-path-traversal", member.name))
                if member.issym() or member.islnk():
                    if unsafe_member_path(member.linkname):
                        findings.append(
                            archive_finding(
                                ctx, "archive-path-traversal", f"{member.name} -> {member.linkname}"
                            )
                        )
                    continue
                if member.isdev() or member.isfifo():
                    findings.append(
                        archive_finding(
                            ctx, "archive-path-traversal", f"{member.name}: device node"
                        )
                    )
                    continue
                if not member.isfile():
                    continue
                total += member.size
                if total > limits.max_archive_total_bytes:
                    findings.append(archive_finding(ctx, "archive-bomb", "total size over limit"))
                    break
                if ctx.scan_nested is not None:
                    ctx.scan_nested(_member_data(tf, member), member.name, member.size)
        except tarfile.TarError as exc:
            raise ScanError(f"{ctx.display_path}: corrupt tar ({exc})") from None
        finally:
            tf.close()
        return findings


# Tar members up to this size are read in one call and handed on as bytes: their sniffing
# and headers are then read in memory, not through tarfile's Python-level streams.
_IN_MEMORY = 8 << 20


def _member_data(tf: Any, member: Any) -> Any:
    """A regular member's bytes when it is small and reads whole, else its stream (a
    member cut short then meets the break in its own scan, as it would through a stream)."""
    import tarfile

    fh = tf.extractfile(member)
    if member.size > _IN_MEMORY:
        return fh
    try:
        data = fh.read(member.size)
    except (tarfile.TarError, OSError, EOFError, ValueError):
        data = b""
    return data if len(data) == member.size else tf.extractfile(member)


class SevenZipHandler(FormatHandler):
    """7z archives, e.g. 7z-wrapped PyTorch checkpoints.

    The common layout (LZMA/LZMA2, optionally behind one BCJ or delta filter, or stored;
    plain files with names) is read by :func:`_read_7z`; anything else goes to py7zr.
    Both give the same members, sizes and contents, then the same checks run on them."""

    name: ClassVar[str] = "7z"
    priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return head.startswith(_7Z_MAGIC)

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        archive = _read_7z(ctx)
        if archive is None:
            return self._scan_py7zr(ctx)
        names, sizes, decode = archive
        findings, go_on = _judge_7z(ctx, names, sizes)
        if not go_on:
            return findings
        contents = decode()
        if contents is None:  # a member that does not decode as declared: py7zr's verdict
            return self._scan_py7zr(ctx)
        for name, data in zip(names, contents, strict=True):
            if ctx.scan_nested is not None:
                ctx.scan_nested(data, name, len(data))
        return findings

    def _scan_py7zr(self, ctx: ArtifactContext) -> list[Finding]:
        import py7zr
        import py7zr.exceptions
        import py7zr.io

        findings: list[Finding] = []
        errors: tuple[type[BaseException], ...] = (
            py7zr.exceptions.ArchiveError,
            py7zr.exceptions.Bad7zFile,
            py7zr.exceptions.UnsupportedCompressionMethodError,
            EOFError,
            OSError,
            lzma.LZMAError,
            zlib.error,
            struct.error,
            RuntimeError,
            NotImplementedError,
            UnicodeDecodeError,
            ValueError,
            KeyError,
            IndexError,
            TypeError,
            AttributeError,
        )
        ctx.stream.seek(0)
        try:
            with py7zr.SevenZipFile(ctx.stream, mode="r") as sz:
                if sz.needs_password():
                    findings.append(
                        archive_finding(
                            ctx, "archive-limit", "encrypted 7z: members cannot be scanned"
                        )
                    )
                    return findings
                infos: list[Any] = [i for i in sz.list() if not i.is_directory]
                names = [i.filename for i in infos]
                judged, go_on = _judge_7z(ctx, names, [int(i.uncompressed or 0) for i in infos])
                findings += judged
                if not go_on:
                    return findings
                total = sum(int(i.uncompressed or 0) for i in infos)
                factory = py7zr.io.BytesIOFactory(limit=max(total, 1))
                refused = [n for n in names if not _py7zr_extracts(n)]
                if refused:
                    # py7zr raises on these for the whole archive: scan the others
                    findings.append(
                        archive_finding(
                            ctx,
                            "archive-limit",
                            f"{len(refused)} member(s) py7zr will not extract, not scanned: "
                            + ", ".join(refused[:5]),
                        )
                    )
                sz.extract(targets=[n for n in names if n not in refused], factory=factory)
                # Every extracted member, under the name py7zr wrote it to: it cleans names
                # ("./x" becomes "x") and renames repeats ("x_0"), so a lookup by listed
                # name would miss those members and leave them unscanned.
                for written, product in factory.products.items():
                    if ctx.scan_nested is None:
                        break
                    data = product.getvalue() if hasattr(product, "getvalue") else product.read()
                    ctx.scan_nested(bytes(data), written, len(data))
        except errors as exc:
            raise ScanError(
                f"{ctx.display_path}: cannot read 7z ({type(exc).__name__}: {exc})"
            ) from None
        return findings


def _py7zr_extracts(name: str) -> bool:
    """Whether py7zr's extract accepts this member name (it refuses names that resolve
    outside the folder, and then extracts nothing at all)."""
    import py7zr.exceptions
    import py7zr.helpers

    try:
        py7zr.helpers.get_sanitized_output_path(name, None)
    except py7zr.exceptions.Bad7zFile:
        return False
    return True


def _judge_7z(
    ctx: ArtifactContext, names: list[str], sizes: list[int]
) -> tuple[list[Finding], bool]:
    """The checks made before any member is decoded: (findings, whether to decode)."""
    limits = ctx.limits
    if len(names) > limits.max_archive_members:
        return [archive_finding(ctx, "archive-limit", f"{len(names)} members")], False
    total = sum(sizes)
    packed = max(ctx.size, 1)
    if total > limits.max_archive_total_bytes or (
        total > BOMB_FLOOR and total / packed > limits.max_compression_ratio
    ):
        evidence = f"{total} bytes from {ctx.size} ({total / packed:.0f}:1)"
        return [archive_finding(ctx, "archive-bomb", evidence)], False
    traversal = [
        archive_finding(ctx, "archive-path-traversal", n) for n in names if unsafe_member_path(n)
    ]
    return traversal, True


# -- a reader for the common 7z layout ------------------------------------------------------
# Only what py7zr reads the same way is accepted; anything else (other coders, empty files
# or folders, encryption, odd attributes or times, a CRC or size that does not match)
# returns None and the archive goes to py7zr, which gives the canonical result or error.
_7Z_LZMA1 = b"\x03\x01\x01"
_7Z_LZMA2 = b"!"
_7Z_COPY = b"\x00"
_7Z_FILTERS = {  # method id -> liblzma filter id (BCJ family and delta)
    b"\x03\x03\x01\x03": lzma.FILTER_X86,
    b"\x03\x03\x02\x05": lzma.FILTER_POWERPC,
    b"\x03\x03\x04\x01": lzma.FILTER_IA64,
    b"\x03\x03\x05\x01": lzma.FILTER_ARM,
    b"\x03\x03\x07\x01": lzma.FILTER_ARMTHUMB,
    b"\x03\x03\x08\x05": lzma.FILTER_SPARC,
    b"\x03": lzma.FILTER_DELTA,
}
_7Z_MAX_HEADER = 16 << 20
_7Z_MAX_DICT = 64 << 20  # 7-Zip's ultra preset; larger LZMA dictionaries go to py7zr
_7Z_MAX_NAME = 65535  # py7zr's longest name


class _Not7zFast(Exception):  # noqa: N818 - internal control flow: use py7zr instead
    pass


class _Cursor:
    """Bounds-checked reads of 7z header fields; any surprise raises _Not7zFast."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        pos = self.pos
        if pos >= len(self.data):
            raise _Not7zFast
        self.pos = pos + 1
        return self.data[pos]

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _Not7zFast
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def number(self) -> int:
        """7z's variable-length UINT64: leading one bits of the first byte say how many
        little-endian bytes follow; its remaining bits are the value's high part."""
        first = self.byte()
        if first < 0x80:  # one byte: most numbers in a header
            return first
        mask = 0x80
        for extra in range(8):
            if not first & mask:
                low = int.from_bytes(self.take(extra), "little")
                return low | ((first & (mask - 1)) << (8 * extra))
            mask >>= 1
        return int.from_bytes(self.take(8), "little")

    def expect(self, value: int) -> None:
        if self.byte() != value:
            raise _Not7zFast

    def all_defined(self) -> None:
        """A digest/attribute/time vector: only the all-defined form is accepted."""
        if self.byte() == 0:
            raise _Not7zFast


@dataclass(slots=True)
class _Streams:
    pack_pos: int
    pack_sizes: list[int]
    folders: list[_Folder]
    sizes: list[int]  # one per file stream, in order
    crcs: list[int | None] = field(default_factory=list)


@dataclass(slots=True)
class _Folder:
    chain: list[tuple[bytes, bytes | None]]  # (method, properties), coder 0 reads packed data
    size: int
    crc: int | None = None
    streams: int = 1


def _streams_info(cur: _Cursor, main: bool) -> _Streams:
    """PackInfo, UnpackInfo and (``main``: required) SubStreamsInfo, up to their end byte."""
    cur.expect(0x06)  # PackInfo
    pack_pos = cur.number()
    count = cur.number()
    if not 1 <= count <= 4096:
        raise _Not7zFast
    cur.expect(0x09)
    pack_sizes = [cur.number() for _ in range(count)]
    cur.expect(0x00)  # no pack stream digests
    cur.expect(0x07)  # UnpackInfo
    cur.expect(0x0B)
    if cur.number() != count or cur.byte() != 0:  # one packed stream per folder, inline
        raise _Not7zFast
    folders = [_folder(cur) for _ in range(count)]
    cur.expect(0x0C)
    for folder in folders:
        sizes = [cur.number() for _ in folder.chain]
        if len(set(sizes)) != 1:  # filters keep the size: every coder's output is the same
            raise _Not7zFast
        folder.size = sizes[0]
    kind = cur.byte()
    if kind == 0x0A:
        cur.all_defined()
        for folder in folders:
            folder.crc = int.from_bytes(cur.take(4), "little")
        kind = cur.byte()
    if kind != 0x00:
        raise _Not7zFast
    streams = _Streams(pack_pos, pack_sizes, folders, [f.size for f in folders])
    if main:
        cur.expect(0x08)
        streams.sizes, streams.crcs = _substreams(cur, folders)
    cur.expect(0x00)
    return streams


def _substreams(cur: _Cursor, folders: list[_Folder]) -> tuple[list[int], list[int | None]]:
    """SubStreamsInfo: the size and CRC of every file's stream, folder by folder."""
    kind = cur.byte()
    if kind == 0x0D:
        for folder in folders:
            folder.streams = cur.number()
            if not 1 <= folder.streams <= 1 << 16:
                raise _Not7zFast
        kind = cur.byte()
    sizes: list[int] = []
    if kind == 0x09:
        for folder in folders:
            part = [cur.number() for _ in range(folder.streams - 1)]
            if sum(part) > folder.size:
                raise _Not7zFast
            sizes += [*part, folder.size - sum(part)]
        kind = cur.byte()
    elif any(f.streams != 1 for f in folders):
        raise _Not7zFast
    else:
        sizes = [f.size for f in folders]
    # CRCs are listed for the streams whose folder does not give one
    unknown = sum(f.streams for f in folders if f.streams != 1 or f.crc is None)
    if kind != 0x0A:
        if unknown or any(f.crc is not None for f in folders):
            raise _Not7zFast  # py7zr would check no CRC at all: leave such files to it
        crcs: list[int | None] = [None] * len(sizes)
    else:
        cur.all_defined()
        digests = [int.from_bytes(cur.take(4), "little") for _ in range(unknown)]
        crcs = []
        for folder in folders:
            if folder.streams == 1 and folder.crc is not None:
                crcs.append(folder.crc)
            else:
                crcs += digests[: folder.streams]
                del digests[: folder.streams]
        kind = cur.byte()
    if kind != 0x00:
        raise _Not7zFast
    return sizes, crcs


def _folder(cur: _Cursor) -> _Folder:
    """One folder: a chain of simple coders bound the way py7zr writes and reads them
    (coder i's output is coder i+1's input; coder 0 reads the packed stream)."""
    count = cur.number()
    if not 1 <= count <= 2:
        raise _Not7zFast
    chain: list[tuple[bytes, bytes | None]] = []
    for _ in range(count):
        flags = cur.byte()
        if flags & 0xD0:  # complex coders, reserved bits
            raise _Not7zFast
        method = cur.take(flags & 0x0F) if flags & 0x0F else _7Z_COPY
        props = cur.take(cur.number()) if flags & 0x20 else None
        chain.append((method, props))
    for i in range(count - 1):
        if cur.number() != i + 1 or cur.number() != i:
            raise _Not7zFast
    methods = [m for m, _ in chain]
    if methods not in ([_7Z_LZMA2], [_7Z_LZMA1], [_7Z_COPY]) and not (
        len(methods) == 2 and methods[0] == _7Z_LZMA2 and methods[1] in _7Z_FILTERS
    ):
        raise _Not7zFast
    if methods == [_7Z_COPY] and chain[0][1] is not None:
        raise _Not7zFast
    return _Folder(chain, 0)


def _decoder(folder: _Folder) -> Any:
    filters: list[dict[str, Any]] = []
    for method, props in folder.chain:
        fid = {_7Z_LZMA2: lzma.FILTER_LZMA2, _7Z_LZMA1: lzma.FILTER_LZMA1}.get(method)
        fid = _7Z_FILTERS[method] if fid is None else fid
        if props is None:
            spec: dict[str, Any] = {"id": fid}
        else:
            spec = lzma._decode_filter_properties(fid, props)  # type: ignore[attr-defined]
        if spec.get("dict_size", 0) > _7Z_MAX_DICT:
            raise _Not7zFast
        filters.insert(0, spec)
    return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters)


def _unpack(folder: _Folder, packed: bytes) -> bytes:
    """A folder's content, exactly its declared size, or _Not7zFast."""
    if folder.chain[0][0] == _7Z_COPY:
        if len(packed) != folder.size:
            raise _Not7zFast
        return packed
    try:
        dec = _decoder(folder)
        out = dec.decompress(packed, folder.size + 1) if folder.size else b""
    except (lzma.LZMAError, ValueError, TypeError, MemoryError):
        raise _Not7zFast from None
    if len(out) != folder.size:
        raise _Not7zFast
    return out


def _files_info(cur: _Cursor, count: int) -> list[str]:
    """FilesInfo: names (py7zr turns backslashes into slashes), with only times,
    attributes of plain files and padding besides."""
    number = cur.number()
    if number != count:
        raise _Not7zFast
    names: list[str] | None = None
    seen: set[int] = set()
    while (kind := cur.byte()) != 0x00:
        body = _Cursor(cur.take(cur.number()))
        if kind == 0x19:  # padding
            continue
        if kind in seen:
            raise _Not7zFast
        seen.add(kind)
        if kind == 0x11:
            if body.byte() != 0:
                raise _Not7zFast
            names = _names(body.data[body.pos :], count)
        elif kind in (0x12, 0x13, 0x14):  # times: py7zr converts the write time to a date
            body.all_defined()
            body.expect(0x00)
            for _ in range(count):
                stamp = int.from_bytes(body.take(8), "little")
                if kind == 0x14 and not _date_ok(stamp):
                    raise _Not7zFast
        elif kind == 0x15:  # attributes: plain files only
            body.all_defined()
            body.expect(0x00)
            for _ in range(count):
                attr = int.from_bytes(body.take(4), "little")
                if attr & 0x0410 or (attr & 0x8000 and not stat.S_ISREG(attr >> 16)):
                    raise _Not7zFast
        else:
            raise _Not7zFast
    if names is None:
        raise _Not7zFast
    return names


def _names(raw: bytes, count: int) -> list[str]:
    names: list[str] = []
    pos = 0
    for _ in range(count):
        end = pos
        while True:  # NUL code units sit at even offsets from the start of the list
            end = raw.find(b"\x00\x00", end)
            if end < 0:
                raise _Not7zFast
            if (end - pos) % 2 == 0:
                break
            end += 1
        if end - pos >= 2 * _7Z_MAX_NAME:
            raise _Not7zFast
        try:
            name = raw[pos:end].decode("utf-16-le").replace("\\", "/")
        except UnicodeDecodeError:
            raise _Not7zFast from None
        if not _plain_name(name):
            raise _Not7zFast
        names.append(name)
        pos = end + 2
    return names


def _plain_name(name: str) -> bool:
    """A name py7zr keeps as it is (its writer key is the name itself) and accepts, or a
    path that escapes the folder (``../``, absolute, drive letter). py7zr lists those but
    refuses to extract them, so this reader is what hands their content on to be scanned
    (the name itself is reported as archive-path-traversal)."""
    if unsafe_member_path(name):
        return True
    parts = name.split("/")
    return bool(name) and "" not in parts and "." not in parts


def _date_ok(filetime: int) -> bool:
    """Whether py7zr's listing can turn this write time into a date (it raises if not)."""
    try:
        _EPOCH + timedelta(microseconds=(filetime - 116444736000000000) // 10)
    except OverflowError:
        return False
    return True


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _read_7z(
    ctx: ArtifactContext,
) -> tuple[list[str], list[int], Callable[[], list[bytes] | None]] | None:
    """(names, sizes, decode) of a 7z archive in the common layout, else None (py7zr's).

    Only the header is read here; ``decode`` unpacks every member, checking sizes and
    CRCs, or returns None."""
    stream = ctx.stream
    try:
        stream.seek(0)
        head = stream.read(32)
        if len(head) != 32 or head[6] != 0:
            return None
        if zlib.crc32(head[12:32]) != int.from_bytes(head[8:12], "little"):
            return None
        offset = int.from_bytes(head[12:20], "little")
        length = int.from_bytes(head[20:28], "little")
        if not 0 < length <= _7Z_MAX_HEADER or 32 + offset + length > ctx.size:
            return None
        stream.seek(32 + offset)
        header = stream.read(length)
        if len(header) != length or zlib.crc32(header) != int.from_bytes(head[28:32], "little"):
            return None
        if header[0] == 0x17:  # the header is itself packed, in one folder
            cur = _Cursor(header)
            cur.pos = 1
            packed = _streams_info(cur, main=False)
            folder = packed.folders[0]
            if cur.pos != len(header) or len(packed.folders) != 1 or folder.size > _7Z_MAX_HEADER:
                return None
            if 32 + packed.pack_pos + packed.pack_sizes[0] > ctx.size:
                return None
            stream.seek(32 + packed.pack_pos)
            header = _unpack(folder, stream.read(packed.pack_sizes[0]))
            if folder.crc is not None and zlib.crc32(header) != folder.crc:
                return None
        cur = _Cursor(header)
        cur.expect(0x01)
        cur.expect(0x04)  # MainStreamsInfo (no archive properties, no additional streams)
        main = _streams_info(cur, main=True)
        cur.expect(0x05)
        names = _files_info(cur, len(main.sizes))
        cur.expect(0x00)
        if cur.pos != len(header) or len(set(names)) != len(names):
            return None
        if 32 + main.pack_pos + sum(main.pack_sizes) > ctx.size:
            return None
    except _Not7zFast:
        return None

    def decode() -> list[bytes] | None:
        out: list[bytes] = []
        start = 32 + main.pack_pos
        try:
            for folder, packed_size in zip(main.folders, main.pack_sizes, strict=True):
                stream.seek(start)
                content = _unpack(folder, stream.read(packed_size))
                start += packed_size
                at = 0
                for _ in range(folder.streams):
                    size = main.sizes[len(out)]
                    crc = main.crcs[len(out)]
                    part = content[at : at + size]
                    at += size
                    if crc is not None and zlib.crc32(part) != crc:
                        return None
                    out.append(part)
        except _Not7zFast:
            return None
        return out

    return names, main.sizes, decode
