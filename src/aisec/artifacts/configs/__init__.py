"""JSON and YAML configs: chat templates, Keras model configs and Hydra ``_target_``
callables (``_hydra``) inside them."""

from __future__ import annotations

from aisec.artifacts.configs._jsonyaml import JsonConfigHandler, YamlConfigHandler

__all__ = ["JsonConfigHandler", "YamlConfigHandler"]
