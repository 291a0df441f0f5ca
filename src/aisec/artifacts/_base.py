"""The extension point of the artifact scanner: one FormatHandler subclass per file format.

The dispatcher (``_dispatch.py``) reads the first bytes of a file, asks each handler
``sniff``, and runs the one that claims it. Handlers never execute what they inspect.

Registration: defining a concrete subclass records it under its ``name``; a second class
with a name already taken raises :class:`HandlerNameError` at definition, so no import can
replace a handler in silence. The built-in handlers are loaded by one explicit call,
``aisec.artifacts.load_builtins()``, and are always asked first: a handler from outside
(a plugin) only sees content that no built-in claims, whatever its ``priority``.

Contract for handler authors:
- ``ArtifactContext.scan_nested(data, name, size)`` hands member bytes (or a readable,
  seekable stream) to the dispatcher. It sniffs and scans them as their own entry in the
  report (path ``parent!/name``), folds their verdict into the parent's, and returns their
  findings for information. Do not add those findings to your own list.
- A handler may set ``ctx.detected_format`` to refine the format name it reports
  (e.g. the zip handler reports ``pytorch``, ``torchscript``, ``npz`` or ``zip``).
- Pickles embedded in your formats: ``aisec.artifacts.pickle.analyse_pickle(data, ctx)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, ClassVar

from aisec.core.findings import Finding

if TYPE_CHECKING:
    from aisec.artifacts.pickle import ProjectGlobals

__all__ = [
    "ArtifactContext",
    "FormatHandler",
    "HandlerNameError",
    "Limits",
    "registered_handlers",
    "registry_size",
    "set_before_register",
]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds every reader honours; exceeding one yields a Finding or an error verdict."""

    max_file_bytes: int = 64 << 30  # header-only formats may be huge; pickle reads are capped
    max_pickle_bytes: int = 2 << 30
    max_archive_members: int = 10_000
    max_archive_total_bytes: int = 16 << 30
    max_compression_ratio: float = 200.0
    max_nesting_depth: int = 5
    max_json_bytes: int = 64 << 20
    max_opcodes: int = 50_000_000
    max_header_bytes: int = 100 << 20  # safetensors/GGUF metadata


@dataclass(slots=True)
class ArtifactContext:
    """What a handler gets: a readable, seekable stream and where it came from.

    ``display_path`` is the user-facing location, e.g. ``model.zip!/archive/data.pkl``.
    ``depth`` counts archive nesting. ``scan_nested`` lets a handler hand member bytes
    back to the dispatcher (archives, pickles embedded in other formats).
    """

    stream: BinaryIO
    display_path: str
    size: int
    limits: Limits = field(default_factory=Limits)
    depth: int = 0
    fs_path: Path | None = None  # set when the data is a real file on disk
    scan_nested: Callable[[bytes | BinaryIO, str, int], list[Finding]] | None = None
    detected_format: str | None = None
    globals_policy: ProjectGlobals | None = None  # the project's allow/deny_globals


class HandlerNameError(TypeError):
    """A FormatHandler subclass without a usable name, or with one that is already taken."""


# name -> handler, in definition order; entries are never replaced or removed
_REGISTRY: dict[str, type[FormatHandler]] = {}


def registered_handlers() -> tuple[type[FormatHandler], ...]:
    """Every concrete handler defined so far, built-in or not, in definition order."""
    return tuple(_REGISTRY.values())


def registry_size() -> int:
    """How many handlers are registered (the registry only grows: a version number)."""
    return len(_REGISTRY)


# Set by ``_builtins`` when it is imported (``aisec.artifacts`` imports it before anything
# else can subclass FormatHandler): loads the built-ins before a handler from outside
# this package registers.
_before_register: Callable[[type[FormatHandler]], object] | None = None


def set_before_register(hook: Callable[[type[FormatHandler]], object]) -> None:
    """Install the hook run before each registration (``_builtins`` does, once)."""
    global _before_register
    _before_register = hook


class FormatHandler(ABC):
    """One file format. A concrete subclass registers on definition under its unique
    ``name``; ``priority`` orders sniffing (higher first) among the built-ins, so container
    formats (zip) can defer to specialised ones (PyTorch zip), and among the others."""

    name: ClassVar[str]
    priority: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "__abstractmethods__", None):
            return
        if _before_register is not None:
            _before_register(cls)
        name = cls.__dict__.get("name")
        where = f"{cls.__module__}.{cls.__qualname__}"
        if not isinstance(name, str) or not name:
            raise HandlerNameError(f"format handler {where} must set its own non-empty name")
        held = _REGISTRY.get(name)
        if held is not None:
            raise HandlerNameError(
                f"format handler name {name!r} is taken by "
                f"{held.__module__}.{held.__qualname__}; {where} cannot replace it"
            )
        _REGISTRY[name] = cls

    @classmethod
    @abstractmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        """True when this handler recognises the content (``head``: first 4 KiB)."""

    @abstractmethod
    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        """Findings about the content. Raise ``aisec.core.errors.ScanError`` when the
        content cannot be judged at all (the verdict becomes ``error``)."""
