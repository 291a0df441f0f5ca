"""Lazy package attributes (PEP 562): a package's public names load on first use.

``aisec.guard`` and ``aisec.artifacts`` are imported by commands that need one small piece
(the audit redactor needs the secrets scanner, ``aisec sign`` the signing modules), and
loading the whole package (NumPy, the classifier, every format handler) cost those
commands a quarter of a second at start-up. A package lists where each public name lives::

    __getattr__ = lazy_attributes(__name__, {"Engine": "aisec.guard._engine", ...})

and keeps real imports under ``if TYPE_CHECKING:`` for type checkers.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``where[name]`` (``"module"`` or
    ``"module:attribute"`` when the public name differs) on first access and caches it."""
    table = dict(where)

    def attribute(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = target.partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        setattr(sys.modules[package], name, value)
        return value

    return attribute
