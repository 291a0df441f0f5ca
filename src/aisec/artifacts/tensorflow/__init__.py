"""TensorFlow SavedModel (``saved_model.pb``), Keras metadata and frozen GraphDef files."""

from __future__ import annotations

from aisec.artifacts.tensorflow import _savedmodel  # noqa: F401 - registers the handlers

__all__: list[str] = []
