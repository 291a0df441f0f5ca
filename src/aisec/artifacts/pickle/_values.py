"""The symbolic values of the pickle machine: what an opcode pushes, never a real object.

``Global`` is an imported name, ``Call`` a call the loader would make, and the rest stand
for containers and data the machine cannot or need not hold. Kept apart from the machine
(``_vm``) so that constant folding (``_fold``) can use them without an import
cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aisec.artifacts.pickle._policy import GlobalClass

__all__ = [
    "Blob",
    "Call",
    "DictV",
    "Event",
    "Global",
    "PersRef",
    "SetV",
    "Unknown",
    "render_value",
]


@dataclass(eq=False, slots=True)
class Global:
    """An imported name (module attribute) as the unpickler would resolve it."""

    module: str
    name: str
    offset: int
    kind: GlobalClass
    via: str  # GLOBAL, STACK_GLOBAL, INST, EXT
    policy: str = ""  # the artifacts.allow_globals pattern that made it acceptable
    full: str = field(init=False)  # module.name, built once: it is compared on every call

    def __post_init__(self) -> None:
        self.full = f"{self.module}.{self.name}"


@dataclass(eq=False, slots=True)
class Call:
    """The result of calling ``func`` with ``args`` (REDUCE, NEWOBJ, OBJ, INST)."""

    func: Any
    args: Any
    offset: int
    op: str
    used: bool = False
    state: Any = None  # the last BUILD state applied to the result


@dataclass(eq=False, slots=True)
class PersRef:
    """A persistent id (PyTorch storages); resolved by the loader, not by pickle."""

    pid: Any


@dataclass(eq=False, slots=True)
class Blob:
    """A byte/string payload too large to keep: only its size and where it lies."""

    length: int
    offset: int


@dataclass(eq=False, slots=True)
class Unknown:
    """A value the machine cannot know statically (EXT lookups, buffers)."""

    why: str


class DictV(list[Any]):
    """A dict being built, as a flat list ``[key, value, key, value, …]`` in order (keys may
    be unhashable symbols); :attr:`pairs` gives the (key, value) view.

    A list subclass, flat, because EMPTY_DICT and SETITEMS are among the commonest opcodes:
    a list subclass is created in C and extended without a tuple per item, which is several
    times faster than a dataclass holding a list of pairs and leaves less for the GC."""

    __slots__ = ()
    __hash__ = object.__hash__  # type: ignore[assignment]  # identity, like other symbols

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    @property
    def pairs(self) -> list[tuple[Any, Any]]:
        return list(zip(self[::2], self[1::2], strict=False))


@dataclass(eq=False, slots=True)
class SetV:
    items: list[Any] = field(default_factory=list)
    frozen: bool = False


@dataclass(slots=True)  # not frozen: a frozen dataclass builds three times slower
class Event:
    """Something the analyser must judge: a non-allowlisted import, a call, a trick."""

    kind: str  # global, call, dynamic-global, ext, build-global, build-dunder, discard, frame
    offset: int
    subject: Any = None
    detail: str = ""


def render_value(value: Any, depth: int = 0, budget: int = 160) -> str:
    """A short, printable rendering of a symbolic value (for evidence)."""
    if depth > 4:
        return "…"
    if isinstance(value, Global):
        return value.full
    if isinstance(value, Call):
        args = value.args
        inner = (
            ", ".join(render_value(a, depth + 1) for a in args[:4])
            if isinstance(args, tuple)
            else render_value(args, depth + 1)
        )
        text = f"{render_value(value.func, depth + 1)}({inner})"
    elif isinstance(value, str | bytes):
        text = repr(value[:80]) + ("…" if len(value) > 80 else "")
    elif isinstance(value, DictV):
        text = (
            "{"
            + ", ".join(
                f"{render_value(k, depth + 1)}: {render_value(v, depth + 1)}"
                for k, v in zip(value[0:6:2], value[1:6:2], strict=False)
            )
            + "}"
        )
    elif isinstance(value, tuple | list):
        text = "(" + ", ".join(render_value(v, depth + 1) for v in value[:4]) + ")"
    elif isinstance(value, Blob):
        text = f"<{value.length} bytes>"
    elif isinstance(value, PersRef):
        text = f"persistent({render_value(value.pid, depth + 1)})"
    elif isinstance(value, Unknown):
        text = f"<{value.why}>"
    else:
        text = repr(value)
    return text if len(text) <= budget else text[: budget - 1] + "…"
