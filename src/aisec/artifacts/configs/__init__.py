"""JSON and YAML configs: chat templates, Keras model configs and Hydra ``_target_``
callables (``_hydra``) inside them."""

from __future__ import annotations

from aisec.artifacts.configs import _jsonyaml  # noqa: F401 - registers the handlers

__all__: list[str] = []
