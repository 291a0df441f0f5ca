"""Hand-made inventory pieces (aisec.inventory's own dataclasses) for the posture tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aisec.inventory import Asset, Inventory

MakeInv = Callable[..., Inventory]


def asset(kind: str, path: str, name: str = "", line: int | None = None, **details: Any) -> Asset:
    return Asset(kind=kind, path=path, line=line, name=name or path, details=details)
