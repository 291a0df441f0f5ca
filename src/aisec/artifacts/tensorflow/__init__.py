"""TensorFlow SavedModel (``saved_model.pb``), Keras metadata and frozen GraphDef files."""

from __future__ import annotations

from aisec.artifacts.tensorflow._savedmodel import (
    KerasMetadataHandler,
    SavedModelHandler,
    TfGraphDefHandler,
)

__all__ = ["KerasMetadataHandler", "SavedModelHandler", "TfGraphDefHandler"]
