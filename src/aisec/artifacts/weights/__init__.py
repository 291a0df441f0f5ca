"""Weight files that hold no code by design: safetensors and GGUF (headers and metadata)."""

from __future__ import annotations

from aisec.artifacts.weights import _gguf, _safetensors  # noqa: F401 - registers the handlers

__all__: list[str] = []
