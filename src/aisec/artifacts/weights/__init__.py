"""Weight files that hold no code by design: safetensors and GGUF (headers and metadata)."""

from __future__ import annotations

from aisec.artifacts.weights._gguf import GgufHandler
from aisec.artifacts.weights._safetensors import SafetensorsHandler

__all__ = ["GgufHandler", "SafetensorsHandler"]
