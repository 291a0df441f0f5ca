"""The extension point of the guard: one Scanner subclass per check.

Scanners register themselves by subclassing, under a unique ``name``: a second class with a
name already taken raises :class:`ScannerNameError` at its definition, so no import can
replace a scanner (a rogue ``prompt_injection`` that allows everything). ``SCANNERS`` is a
read-only view. The built-in scanners load once, through ``load_builtins()`` (``_builtin``),
when the package is imported, before any other code can define a scanner. The Engine
(``_engine.py``) builds the scanners the policy enables, runs those that apply to a text's
direction, and turns their results into one decision: allow, redact or block.

Contract for scanner authors:
- ``name`` is what ``aisec.yaml`` names; ``directions`` where it runs unless policy says
  otherwise; ``default_mode`` ("off" | "detect" | "block" | "redact") is its mode in the
  default pipeline (used when the policy lists no scanners); "off" keeps it out of it.
- ``__init__(threshold, **options)`` receives the policy's ``options`` mapping; the base
  class refuses any name not in ``option_names`` (a ``PolicyError`` naming it), and a
  subclass raises ``PolicyError`` for a bad value. The Engine builds each scanner once and reuses it
  across requests and threads, so keep per-request data in ``ctx.state``, not on ``self``.
- ``scan`` returns a ScanResult; it "fires" when ``score >= self.threshold``. In mode
  ``redact`` the Engine uses ``redacted_text`` (None = nothing to redact) and passes the
  redacted text to the scanners after it. Exceptions are caught by the Engine: by default
  the text is blocked (fail closed) with the scanner's name and error in the reason.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from aisec.core.errors import AisecError, ExitCode
from aisec.core.findings import Finding
from aisec.core.policy import Direction  # the one Direction, shared with the policy

__all__ = [
    "ORIGINAL_TEXT_KEY",
    "SCANNERS",
    "Direction",
    "ScanContext",
    "ScanResult",
    "Scanner",
    "ScannerNameError",
    "set_before_register",
]

ORIGINAL_TEXT_KEY = "guard.original_text"
"""``ctx.state`` key: the text as ``Engine.scan`` received it, before redacting scanners ran."""


@dataclass(slots=True)
class ScanContext:
    """Per-request facts a scanner may use (identity, route, canary tokens, vault for
    reversible placeholders). ``state`` carries per-request data between input and output."""

    direction: Direction = Direction.INPUT
    principal: str | None = None
    route: str | None = None
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScanResult:
    """``score`` in [0, 1] (1 = surely bad); ``redacted_text`` is None when nothing changed."""

    score: float
    findings: tuple[Finding, ...] = ()
    redacted_text: str | None = None


_REGISTRY: dict[str, type[Scanner]] = {}
SCANNERS: Mapping[str, type[Scanner]] = MappingProxyType(_REGISTRY)
"""Every registered scanner by name (read-only: a scanner registers by subclassing)."""

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


class ScannerNameError(AisecError, TypeError):
    """A Scanner subclass has no valid ``name`` or takes one already registered."""

    exit_code = ExitCode.INTERNAL


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# Set by ``_builtin`` when it is imported (``aisec.guard`` imports it before anything else
# can subclass Scanner): loads the built-ins before a scanner from another module registers.
_before_register: Callable[[type[Scanner]], object] | None = None


def set_before_register(hook: Callable[[type[Scanner]], object]) -> None:
    """Install the hook run before each registration (``_builtin`` does, once)."""
    global _before_register
    _before_register = hook


def _register(cls: type[Scanner]) -> None:
    if _before_register is not None:
        _before_register(cls)
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise ScannerNameError(
            f"guard: scanner class {_qualified(cls)} needs a name of lower-case letters, "
            f"digits and '_' (at most 64, starting with a letter), got {name!r}"
        )
    taken = _REGISTRY.get(name)
    if taken is not None:
        raise ScannerNameError(
            f"guard: scanner name {name!r} is already taken by {_qualified(taken)}; "
            f"{_qualified(cls)} cannot replace it: give it a name of its own"
        )
    _REGISTRY[name] = cls


class Scanner(ABC):
    """A guard check. ``name`` is what ``aisec.yaml`` names; ``directions`` where it runs
    by default; ``supports_redact`` whether mode ``redact`` makes sense for it."""

    name: ClassVar[str]
    directions: ClassVar[frozenset[Direction]] = frozenset({Direction.INPUT})
    supports_redact: ClassVar[bool] = False
    default_threshold: ClassVar[float] = 0.5
    default_mode: ClassVar[str] = "detect"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "__abstractmethods__", None):
            _register(cls)

    option_names: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, threshold: float | None = None, **options: Any) -> None:
        from aisec.guard._options import check_options

        check_options(self.name, options, self.option_names)
        self.threshold = self.default_threshold if threshold is None else threshold
        self.options = options

    @abstractmethod
    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        """Judge ``text``; must be fast (the default input pipeline: p50 <= 1 ms per 1 KB)."""
