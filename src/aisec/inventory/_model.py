"""The inventory's values: Asset, Skipped, Inventory, and the asset kinds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aisec.core.findings import Finding

__all__ = ["ASSET_KINDS", "Asset", "Inventory", "Skipped"]

ASSET_KINDS = (
    "model_file",
    "dataset",
    "llm_call",
    "prompt",
    "agent_tool",
    "vector_store",
    "mcp_server",
    "secret",
    "dependency_manifest",
    "container_image",
)


@dataclass(frozen=True, slots=True)
class Asset:
    """One AI asset found in a code base.

    ``path`` is relative to the inventoried root (``/``-separated); ``line`` is the 1-based
    line where the thing is defined or called (None for whole files); ``details`` holds
    JSON-ready values only, and never a secret's value.
    """

    kind: str
    path: str
    line: int | None
    name: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "line": self.line,
            "name": self.name,
            "details": dict(self.details),
        }


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file the inventory did not read, and why (too large, unreadable, a link loop…)."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Inventory:
    """What ``inventory()`` found under ``root``: assets, findings about them, a summary,
    and the files it skipped (each with a reason: nothing is skipped silently)."""

    root: str
    assets: list[Asset]
    findings: list[Finding]
    summary: dict[str, Any]
    skipped: list[Skipped]
