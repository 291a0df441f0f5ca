"""Imports every non-pickle format handler (part B) so that each registers itself.

Keras (``.keras`` and configs), HDF5, TensorFlow SavedModel/GraphDef, ONNX, safetensors,
GGUF, Jinja chat templates and the JSON/YAML configs that carry them.
"""

from __future__ import annotations

from aisec.artifacts import configs, keras, onnx, templates, tensorflow, weights

__all__ = ["FORMAT_MODULES"]

FORMAT_MODULES = (keras, tensorflow, onnx, weights, templates, configs)
