"""The built-in scanners: one list, loaded once by :func:`load_builtins`.

Prompt injection (classifier and rules; the optional ONNX transformer), PII, secrets,
invisible text, size limits, and the output scanners (system-prompt leak, exfiltration
links, refusals). The tool-call policy and the RAG filter are not text scanners; the engine
and gateway call them directly.

``aisec.guard`` imports this module first, and it makes the registry call
:func:`load_builtins` before any scanner class from another module registers: the
built-ins take their names before any other code can define a scanner, while importing
``aisec.guard`` stays cheap. The names found then are frozen as the built-in set. The
Engine's default pipeline (no ``guard.scanners`` in the policy) runs only these: a scanner
some other import defines runs only where the policy names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from aisec.guard._scanner import SCANNERS, Scanner, set_before_register

__all__ = ["BUILTIN_MODULES", "load_builtins"]

BUILTIN_MODULES = (
    "aisec.guard._injection",
    "aisec.guard._transformer",
    "aisec.guard._invisible",
    "aisec.guard._limits",
    "aisec.guard._output",
    "aisec.guard._pii",
    "aisec.guard._secrets",
)

_builtins: Mapping[str, type[Scanner]] | None = None


def load_builtins() -> Mapping[str, type[Scanner]]:
    """Register the built-in scanners (once; later calls return the same mapping) and
    return them by name, read-only."""
    global _builtins
    if _builtins is None:
        from aisec.guard import (  # noqa: F401  (each scanner class registers on import)
            _injection,
            _invisible,
            _limits,
            _output,
            _pii,
            _secrets,
            _transformer,
        )

        found = {name: cls for name, cls in SCANNERS.items() if cls.__module__ in BUILTIN_MODULES}
        _builtins = MappingProxyType(dict(sorted(found.items())))
    return _builtins


def _load_before_foreign(cls: type[Scanner]) -> None:
    if _builtins is None and cls.__module__ not in BUILTIN_MODULES:
        load_builtins()


set_before_register(_load_before_foreign)
