"""Keras models: ``.keras`` archives, model configs (JSON) and legacy HDF5 ``.h5`` files."""

from __future__ import annotations

from aisec.artifacts.keras._archive import KerasArchiveHandler
from aisec.artifacts.keras._config import (
    analyse_keras_config,
    is_keras_config,
    keras_issue_findings,
    scan_payloads,
)
from aisec.artifacts.keras._hdf5 import Hdf5Handler

__all__ = [
    "Hdf5Handler",
    "KerasArchiveHandler",
    "analyse_keras_config",
    "is_keras_config",
    "keras_issue_findings",
    "scan_payloads",
]
