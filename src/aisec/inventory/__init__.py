"""AI asset inventory: models, data sets, LLM/ML SDK use, prompts, agent tools, vector
stores, MCP servers, secrets, dependency manifests and container images in a code base.

``inventory(root)`` walks a folder (or an fsspec URL) once, honouring ``.gitignore`` and
``exclude`` patterns, and returns an :class:`Inventory`; ``to_json`` gives the documented
JSON shape (docs/json-output.md, "aisec inventory"). Nothing found is executed: Python is
read as an AST, notebooks as JSON, models by the artifact scanner's format detection.
"""

from __future__ import annotations

from aisec.inventory._model import ASSET_KINDS, Asset, Inventory, Skipped
from aisec.inventory._run import inventory, to_json

__all__ = ["ASSET_KINDS", "Asset", "Inventory", "Skipped", "inventory", "to_json"]
