"""tar and 7z archives: members are scanned in place (tar) or in memory (7z), under limits."""

from __future__ import annotations

import lzma
import struct
import zlib
from typing import Any, ClassVar

from aisec.artifacts._base import FormatHandler, ScanContext
from aisec.artifacts._zip import BOMB_FLOOR, archive_finding, unsafe_member_path
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
    def sniff(cls, head: bytes, ctx: ScanContext) -> bool:
        return head[257:262] == b"ustar" or _tar_checksum_ok(head)

    def scan(self, ctx: ScanContext) -> list[Finding]:
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
                fh = tf.extractfile(member)
                if fh is not None and ctx.scan_nested is not None:
                    ctx.scan_nested(fh, member.name, member.size)  # type: ignore[arg-type]
        except tarfile.TarError as exc:
            raise ScanError(f"{ctx.display_path}: corrupt tar ({exc})") from None
        finally:
            tf.close()
        return findings


class SevenZipHandler(FormatHandler):
    """7z archives (py7zr), e.g. 7z-wrapped PyTorch checkpoints."""

    name: ClassVar[str] = "7z"
    priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, head: bytes, ctx: ScanContext) -> bool:
        return head.startswith(_7Z_MAGIC)

    def scan(self, ctx: ScanContext) -> list[Finding]:
        import py7zr
        import py7zr.exceptions
        import py7zr.io

        limits = ctx.limits
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
                if len(infos) > limits.max_archive_members:
                    findings.append(archive_finding(ctx, "archive-limit", f"{len(infos)} members"))
                    return findings
                total = sum(int(i.uncompressed or 0) for i in infos)
                packed = max(ctx.size, 1)
                if total > limits.max_archive_total_bytes or (
                    total > BOMB_FLOOR and total / packed > limits.max_compression_ratio
                ):
                    findings.append(
                        archive_finding(
                            ctx,
                            "archive-bomb",
                            f"{total} bytes from {ctx.size} ({total / packed:.0f}:1)",
                        )
                    )
                    return findings
                findings.extend(
                    archive_finding(ctx, "archive-path-traversal", i.filename)
                    for i in infos
                    if unsafe_member_path(i.filename)
                )
                factory = py7zr.io.BytesIOFactory(limit=max(total, 1))
                sz.extract(targets=[i.filename for i in infos], factory=factory)
                for info in infos:
                    product = factory.products.get(info.filename)
                    if product is None or ctx.scan_nested is None:
                        continue
                    data = product.getvalue() if hasattr(product, "getvalue") else product.read()
                    ctx.scan_nested(bytes(data), info.filename, len(data))
        except errors as exc:
            raise ScanError(
                f"{ctx.display_path}: cannot read 7z ({type(exc).__name__}: {exc})"
            ) from None
        return findings
