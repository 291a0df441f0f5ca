"""Containers whose members are scanned as files of their own: zip (and the PyTorch and
TorchScript archives built on it), tar, 7z, and stream compression (gzip, bz2, xz, lzma, zlib, lz4).
"""

from __future__ import annotations

from aisec.artifacts.containers._archives import SevenZipHandler, TarHandler
from aisec.artifacts.containers._compressed import COMPRESSION_KINDS, CompressedHandler
from aisec.artifacts.containers._zip import ZipHandler, archive_finding

__all__ = [
    "COMPRESSION_KINDS",
    "CompressedHandler",
    "SevenZipHandler",
    "TarHandler",
    "ZipHandler",
    "archive_finding",
]
