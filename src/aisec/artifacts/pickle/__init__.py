"""Pickle streams and the files that are (or carry) them: raw pickle, joblib, legacy
torch.save, NumPy ``.npy`` with object dtype.

``_vm`` walks opcodes symbolically, ``_policy`` (with ``_allowlist``) judges the globals a
pickle imports, ``_fold`` folds the string tricks that hide them, ``_analyse`` turns the
machine's events into findings, ``_file`` and ``_numpy`` are the format handlers.
"""

from __future__ import annotations

# registration order breaks priority ties (npy before pickle, as before the move)
from aisec.artifacts.pickle import _numpy  # noqa: F401 - registers the handler

# isort: split
from aisec.artifacts.pickle import _file  # noqa: F401 - registers the handlers
from aisec.artifacts.pickle._analyse import (
    PickleOptions,
    analyse_buffer,
    analyse_pickle,
    looks_like_pickle,
    scan_embedded_values,
    unpickler_refuses,
)
from aisec.artifacts.pickle._policy import GlobalClass, classify_global
from aisec.artifacts.pickle._vm import OPCODES

__all__ = [
    "OPCODES",
    "GlobalClass",
    "PickleOptions",
    "analyse_buffer",
    "analyse_pickle",
    "classify_global",
    "looks_like_pickle",
    "scan_embedded_values",
    "unpickler_refuses",
]
