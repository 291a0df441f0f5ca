"""Model artifact scanner: finds code in model files and archives without executing it.

``scan_path(paths, recursive=False)`` is the API; ``aisec scan`` is the command. Formats are
detected by content, never by extension. Nothing is unpickled, imported or loaded.

JSON (``ScanReport.to_dict()``, ``aisec scan --format json``)::

    {"files": [{"path": "model.zip!/archive/data.pkl",   # "!/" separates archive members
                "format": "pytorch",                      # pickle, joblib, pytorch, npy, zip…
                "verdict": "malicious",                   # clean|suspicious|malicious|error
                "size": 1234,
                "findings": [Finding.to_dict(), …],
                "error": "…"}],                           # only when verdict is error
     "summary": {"clean": n, "suspicious": n, "malicious": n, "error": n,
                 "files": n, "findings": n}}

Verdicts: any high/critical finding → malicious; else a file that could not be judged →
error; else any low/medium finding → suspicious; else clean. A container's verdict is the
worst of its own and its members'.
"""

from __future__ import annotations

from aisec.artifacts import (  # noqa: F401 - importing registers the handlers
    _formats,
    containers,
    pickle,
)
from aisec.artifacts._base import Limits
from aisec.artifacts._dispatch import FileResult, ScanReport, scan_bytes, scan_path
from aisec.artifacts.pickle import analyse_pickle

__all__ = ["FileResult", "Limits", "ScanReport", "analyse_pickle", "scan_bytes", "scan_path"]
