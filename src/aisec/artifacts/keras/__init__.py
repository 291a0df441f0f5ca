"""Keras models: ``.keras`` archives, model configs (JSON) and legacy HDF5 ``.h5`` files."""

from __future__ import annotations

from aisec.artifacts.keras import _config, _hdf5  # noqa: F401 - registers the handlers
from aisec.artifacts.keras._config import (
    analyse_keras_config,
    is_keras_config,
    keras_issue_findings,
    scan_payloads,
)

__all__ = ["analyse_keras_config", "is_keras_config", "keras_issue_findings", "scan_payloads"]
