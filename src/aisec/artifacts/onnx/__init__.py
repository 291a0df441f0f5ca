"""ONNX models, decoded from the protobuf wire format without onnx or onnxruntime."""

from __future__ import annotations

from aisec.artifacts.onnx._model import OnnxHandler

__all__ = ["OnnxHandler"]
