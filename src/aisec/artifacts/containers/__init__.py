"""Containers whose members are scanned as files of their own: zip (and the PyTorch and
TorchScript archives built on it), tar, 7z, and stream compression (gzip, bz2, xz, zlib).
"""

from __future__ import annotations

from aisec.artifacts.containers._archives import SevenZipHandler, TarHandler
from aisec.artifacts.containers._compressed import CompressedHandler
from aisec.artifacts.containers._zip import ZipHandler, archive_finding

__all__ = ["CompressedHandler", "SevenZipHandler", "TarHandler", "ZipHandler", "archive_finding"]
