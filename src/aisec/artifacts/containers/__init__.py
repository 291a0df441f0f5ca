"""Containers whose members are scanned as files of their own: zip (and the PyTorch and
TorchScript archives built on it), tar, 7z, and stream compression (gzip, bz2, xz, zlib).
"""

from __future__ import annotations

from aisec.artifacts.containers import (  # noqa: F401 - registers the handlers
    _archives,
    _compressed,
    _zip,
)
from aisec.artifacts.containers._zip import archive_finding

__all__ = ["archive_finding"]
