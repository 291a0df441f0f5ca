"""Pickle streams and the files that are (or carry) them: raw pickle, joblib, legacy
torch.save, NumPy ``.npy`` with object dtype.

``_vm`` walks opcodes symbolically, ``_policy`` (with ``_allowlist``) judges the globals a
pickle imports, ``_fold`` folds the string tricks that hide them, ``_analyse`` turns the
machine's events into findings, ``_file`` and ``_numpy`` are the format handlers.
"""

from __future__ import annotations

from aisec.artifacts.pickle._analyse import (
    PickleOptions,
    analyse_buffer,
    analyse_pickle,
    looks_like_pickle,
    scan_embedded_values,
    unpickler_refuses,
)
from aisec.artifacts.pickle._file import LegacyTorchHandler, PickleHandler
from aisec.artifacts.pickle._numpy import NpyHandler
from aisec.artifacts.pickle._policy import (
    DANGEROUS_CALLABLES,
    DANGEROUS_MODULES,
    GlobalClass,
    ProjectGlobals,
    classify_global,
    is_dangerous_module,
)
from aisec.artifacts.pickle._vm import OPCODES

__all__ = [
    "DANGEROUS_CALLABLES",
    "DANGEROUS_MODULES",
    "OPCODES",
    "GlobalClass",
    "LegacyTorchHandler",
    "NpyHandler",
    "PickleHandler",
    "PickleOptions",
    "ProjectGlobals",
    "analyse_buffer",
    "analyse_pickle",
    "classify_global",
    "is_dangerous_module",
    "looks_like_pickle",
    "scan_embedded_values",
    "unpickler_refuses",
]
