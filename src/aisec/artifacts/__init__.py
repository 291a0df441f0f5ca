"""Model artifact scanner: finds code in model files and archives without executing it.

``scan_path`` is the API; ``aisec scan`` is the command. Formats are detected by content.
"""

from __future__ import annotations

from aisec.artifacts import (  # noqa: F401 - importing registers the handlers
    _archives,
    _compressed,
    _formats,
    _numpy,
    _pickle_file,
    _zip,
)
from aisec.artifacts._base import Limits
from aisec.artifacts._dispatch import FileResult, ScanReport, scan_bytes, scan_path
from aisec.artifacts._pickle import analyse_pickle

__all__ = ["FileResult", "Limits", "ScanReport", "analyse_pickle", "scan_bytes", "scan_path"]
