"""The extension point of the artifact scanner: one FormatHandler subclass per file format.

Handlers register themselves by subclassing (no if-chains of names). The dispatcher
(``_dispatch.py``) reads the first bytes of a file, asks each handler ``sniff``, and
runs the one that claims it. Handlers never execute what they inspect.

Contract notes (part A, for part B):
- ``ScanContext.scan_nested(data, name, size)`` hands member bytes (or a readable, seekable
  stream) to the dispatcher. It sniffs and scans them as their own entry in the report
  (path ``parent!/name``), folds their verdict into the parent's, and returns their
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

__all__ = ["HANDLERS", "FormatHandler", "Limits", "ScanContext"]


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
class ScanContext:
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


HANDLERS: list[type[FormatHandler]] = []


class FormatHandler(ABC):
    """One file format. Subclasses register on definition; ``priority`` orders sniffing
    (higher first), so container formats (zip) can defer to specialised ones (PyTorch zip)."""

    name: ClassVar[str]
    priority: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "__abstractmethods__", None):
            HANDLERS.append(cls)
            HANDLERS.sort(key=lambda h: -h.priority)

    @classmethod
    @abstractmethod
    def sniff(cls, head: bytes, ctx: ScanContext) -> bool:
        """True when this handler recognises the content (``head``: first 4 KiB)."""

    @abstractmethod
    def scan(self, ctx: ScanContext) -> list[Finding]:
        """Findings about the content. Raise ``aisec.core.errors.ScanError`` when the
        content cannot be judged at all (the verdict becomes ``error``)."""
