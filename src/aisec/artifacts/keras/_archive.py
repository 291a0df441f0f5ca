"""Keras 3 ``.keras`` archives: a zip of config.json, metadata.json and the weights.

The config is judged by ``_config``'s analysis; the weights file and any other member are
handed back to the dispatcher as entries of their own. ``model.weights.h5`` is sent ahead
to the HDF5 worker so libhdf5 reads it while the config is judged here.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from typing import Any, ClassVar

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts._format_findings import format_finding
from aisec.artifacts.keras._config import keras_json_findings
from aisec.artifacts.keras._hdf5 import drop_ahead, send_ahead
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, Severity
from aisec.core.jobs import Task

__all__ = ["KerasArchiveHandler"]

_EXPECTED_MEMBERS = ("config.json", "metadata.json", "model.weights.h5", "model.weights.npz")


def _open_zip(ctx: ArtifactContext) -> zipfile.ZipFile:
    ctx.stream.seek(0)
    try:
        return zipfile.ZipFile(ctx.stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise ScanError(f"{ctx.display_path}: unreadable zip ({exc})") from None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, where: str) -> bytes:
    if info.file_size > limit:
        raise ScanError(f"{where}: {info.filename} is {info.file_size} bytes (limit {limit})")
    try:
        with zf.open(info) as fh:
            data = fh.read(limit + 1)
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        EOFError,
        NotImplementedError,
        struct.error,
    ) as exc:
        raise ScanError(f"{where}: cannot read {info.filename} ({exc})") from None
    if len(data) > limit:
        raise ScanError(f"{where}: {info.filename} inflates beyond {limit} bytes")
    return data


def _iter_infos(zf: zipfile.ZipFile, limit: int, where: str) -> Iterator[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > limit:
        raise ScanError(f"{where}: {len(infos)} members exceeds the limit of {limit}")
    yield from infos


class KerasArchiveHandler(FormatHandler):
    """Keras v3 ``.keras`` archive: a zip holding ``config.json`` and the weights."""

    name: ClassVar[str] = "keras"
    priority: ClassVar[int] = 60

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        if isinstance(ctx.stream, io.BytesIO) and b"config.json" not in ctx.stream.getvalue():
            # in memory (small files, members): a member called config.json has those bytes
            # in its central-directory entry; without them there is no directory to parse
            return False
        try:
            with _open_zip(ctx) as zf:
                names = set(zf.namelist()[: ctx.limits.max_archive_members])
        except ScanError:
            return False
        return "config.json" in names and bool(
            names & {"metadata.json", "model.weights.h5", "model.weights.npz"}
        )

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        where = ctx.display_path
        findings: list[Finding] = []
        with _open_zip(ctx) as zf:
            infos = list(_iter_infos(zf, ctx.limits.max_archive_members, where))
            ahead = _weights_ahead(zf, infos, ctx)
            try:
                for info in infos:
                    name = info.filename
                    member_path = f"{where}!/{name}"
                    if name == "config.json":
                        data = _read_member(zf, info, ctx.limits.max_json_bytes, where)
                        findings += keras_json_findings(data, member_path, ctx=ctx)
                    elif name in _EXPECTED_MEMBERS or name.startswith("assets/"):
                        read = ahead[1] if ahead is not None and info is ahead[0] else None
                        self._nested(zf, info, ctx, name, read)
                    else:
                        findings.append(
                            format_finding(
                                "keras-unexpected-member",
                                "Keras archive carries a file Keras does not write",
                                Severity.MEDIUM,
                                member_path,
                                f"member {name!r} ({info.file_size} bytes)",
                                "Inspect the extra file; a clean .keras archive holds only "
                                "config.json, metadata.json, model.weights.h5 and assets/.",
                            )
                        )
                        self._nested(zf, info, ctx, name)
            finally:
                if ahead is not None:
                    drop_ahead(ahead[2])
        return findings

    def _nested(
        self,
        zf: zipfile.ZipFile,
        info: zipfile.ZipInfo,
        ctx: ArtifactContext,
        name: str,
        data: bytes | None = None,
    ) -> None:
        """Hand a member to the dispatcher (its own report entry; verdict folds in here);
        ``data``: the member, when it was read already."""
        if ctx.scan_nested is None or info.is_dir() or name == "metadata.json":
            return
        limit = _nested_limit(ctx)
        if info.file_size > limit:
            return  # weights beyond this are judged by nothing we could read here
        if data is None:
            data = _read_member(zf, info, limit, ctx.display_path)
        ctx.scan_nested(data, name, len(data))


def _nested_limit(ctx: ArtifactContext) -> int:
    return min(ctx.limits.max_pickle_bytes, 1 << 30)


_AHEAD_MAX = 16 << 20
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _weights_ahead(
    zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], ctx: ArtifactContext
) -> tuple[zipfile.ZipInfo, bytes, Task[Any]] | None:
    """Read ``model.weights.h5`` first and start its HDF5 analysis in the worker process,
    which then runs while config.json is judged here; the dispatcher's scan of the member
    later collects that outcome. Only for a member the loop below will hand on exactly so
    (same bytes, same path); a read that fails is left for the loop to raise in turn."""
    info = next((i for i in infos if i.filename == "model.weights.h5"), None)
    if (
        info is None
        or ctx.scan_nested is None
        or info.is_dir()
        or info.file_size > min(_nested_limit(ctx), _AHEAD_MAX)
        or ctx.depth + 1 > ctx.limits.max_nesting_depth
    ):
        return None
    try:
        data = _read_member(zf, info, _nested_limit(ctx), ctx.display_path)
    except ScanError:
        return None
    if not data.startswith(_HDF5_MAGIC):
        return None
    job = send_ahead(data, f"{ctx.display_path}!/model.weights.h5", ctx)
    return info, data, job
