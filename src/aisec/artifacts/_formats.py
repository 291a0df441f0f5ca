"""Imports every non-pickle format handler (part B) so that each registers itself.

Keras (``.keras`` and configs), HDF5, TensorFlow SavedModel/GraphDef, ONNX, safetensors,
GGUF, Jinja chat templates and the JSON/YAML configs that carry them.
"""

from __future__ import annotations

from aisec.artifacts import (
    _gguf,
    _hdf5,
    _jsonconfig,
    _keras,
    _onnx,
    _safetensors,
    _savedmodel,
    _templates,
)

__all__ = ["FORMAT_MODULES"]

FORMAT_MODULES = (_keras, _hdf5, _savedmodel, _onnx, _safetensors, _gguf, _templates, _jsonconfig)
