"""Model artifact scanner: finds code in model files and archives without executing it.

``scan_path(paths, recursive=False)`` is the API; ``aisec scan`` is the command. Formats are
detected by content, never by extension. Nothing is unpickled, imported or loaded.

JSON (``ScanReport.to_dict()``, ``aisec scan --format json``)::

    {"files": [{"path": "model.zip!/archive/data.pkl",   # "!/" separates archive members
                "format": "pytorch",                      # pickle, joblib, pytorch, npy, zip…
                "verdict": "malicious",                   # clean|suspicious|malicious|error
                "size": 1234,
                "findings": [Finding.to_dict(), …],
                "error": "…",                             # only when verdict is error
                "internal_error": true,                   # only when aisec itself failed
                "partial": true}],                        # only when not fully inspected
     "summary": {"clean": n, "suspicious": n, "malicious": n, "error": n,
                 "files": n, "findings": n}}

Verdicts: any high/critical finding → malicious; else a file that could not be judged →
error; else any low/medium finding → suspicious; else clean. A container's verdict is the
worst of its own and its members'. A file that was not fully inspected (an error, or a
scan limit hit: ``PARTIAL_RULES``) is ``partial``; ``aisec scan`` fails its gate on one at
any ``--fail-on`` level unless ``--allow-partial`` is given.

``detect_format(path_or_head)`` names the handler the dispatcher would run. Handlers:
``FormatHandler`` subclasses (see ``_base``); the built-ins load with ``load_builtins()``
and are always asked before any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aisec.artifacts._builtins import load_builtins
from aisec.core.lazy import lazy_attributes

if TYPE_CHECKING:
    from aisec.artifacts._base import FormatHandler, HandlerNameError, Limits
    from aisec.artifacts._dispatch import (
        PARTIAL_RULES,
        FileResult,
        ScanReport,
        detect_format,
        scan_bytes,
        scan_path,
    )
    from aisec.artifacts._verdict import Verdict
    from aisec.artifacts.pickle import analyse_pickle
    from aisec.artifacts.signing import (
        SignatureError,
        TrustedKey,
        Verified,
        model_digest,
        policy_trusted_keys,
        sign,
        verify,
        verify_trusted,
    )

__all__ = [
    "PARTIAL_RULES",
    "FileResult",
    "FormatHandler",
    "HandlerNameError",
    "Limits",
    "ScanReport",
    "SignatureError",
    "TrustedKey",
    "Verdict",
    "Verified",
    "analyse_pickle",
    "detect_format",
    "load_builtins",
    "model_digest",
    "policy_trusted_keys",
    "scan_bytes",
    "scan_path",
    "sign",
    "verify",
    "verify_trusted",
]

# Public names load on first use (``aisec sign`` needs the signing modules, not the
# scanner). Built-in handlers still take their names first: ``_builtins`` (imported here)
# loads them all before any handler class from outside this package registers.
__getattr__ = lazy_attributes(
    __name__,
    {
        "FormatHandler": "aisec.artifacts._base",
        "HandlerNameError": "aisec.artifacts._base",
        "Limits": "aisec.artifacts._base",
        "PARTIAL_RULES": "aisec.artifacts._dispatch",
        "FileResult": "aisec.artifacts._dispatch",
        "ScanReport": "aisec.artifacts._dispatch",
        "detect_format": "aisec.artifacts._dispatch",
        "scan_bytes": "aisec.artifacts._dispatch",
        "scan_path": "aisec.artifacts._dispatch",
        "Verdict": "aisec.artifacts._verdict",
        "analyse_pickle": "aisec.artifacts.pickle",
        "SignatureError": "aisec.artifacts.signing",
        "TrustedKey": "aisec.artifacts.signing",
        "Verified": "aisec.artifacts.signing",
        "model_digest": "aisec.artifacts.signing",
        "policy_trusted_keys": "aisec.artifacts.signing",
        "sign": "aisec.artifacts.signing",
        "verify": "aisec.artifacts.signing",
        "verify_trusted": "aisec.artifacts.signing",
    },
)
