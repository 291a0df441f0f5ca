"""ONNX models, decoded from the protobuf wire format without onnx or onnxruntime."""

from __future__ import annotations

from aisec.artifacts.onnx import _model  # noqa: F401 - registers the handler

__all__: list[str] = []
