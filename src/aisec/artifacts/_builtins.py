"""The built-in format handlers, loaded by one explicit call instead of import side effects.

``load_builtins()`` imports each family's handlers by name and fixes the order the
dispatcher asks them in: built-ins by priority (ties keep the order listed here), then
any other registered handler by priority. A handler defined outside this list can add a
format, never take one over: built-ins are asked first, and its name must be new.
"""

from __future__ import annotations

from aisec.artifacts._base import (
    FormatHandler,
    registered_handlers,
    registry_size,
    set_before_register,
)

__all__ = ["dispatch_order", "load_builtins"]

_builtins: tuple[type[FormatHandler], ...] | None = None
_order: tuple[int, tuple[type[FormatHandler], ...]] = (-1, ())


def load_builtins() -> tuple[type[FormatHandler], ...]:
    """The built-in handlers, highest priority first (imported on the first call only)."""
    global _builtins
    if _builtins is None:
        from aisec.artifacts.configs import JsonConfigHandler, YamlConfigHandler
        from aisec.artifacts.containers import (
            CompressedHandler,
            SevenZipHandler,
            TarHandler,
            ZipHandler,
        )
        from aisec.artifacts.keras import Hdf5Handler, KerasArchiveHandler
        from aisec.artifacts.onnx import OnnxHandler
        from aisec.artifacts.pickle import LegacyTorchHandler, NpyHandler, PickleHandler
        from aisec.artifacts.templates import ChatTemplateHandler
        from aisec.artifacts.tensorflow import (
            KerasMetadataHandler,
            SavedModelHandler,
            TfGraphDefHandler,
        )
        from aisec.artifacts.weights import GgufHandler, SafetensorsHandler

        listed: tuple[type[FormatHandler], ...] = (
            KerasArchiveHandler,
            LegacyTorchHandler,
            GgufHandler,
            SafetensorsHandler,
            NpyHandler,
            PickleHandler,
            Hdf5Handler,
            KerasMetadataHandler,
            SavedModelHandler,
            OnnxHandler,
            TfGraphDefHandler,
            ZipHandler,
            TarHandler,
            SevenZipHandler,
            CompressedHandler,
            JsonConfigHandler,
            YamlConfigHandler,
            ChatTemplateHandler,
        )
        _builtins = tuple(sorted(listed, key=lambda h: -h.priority))
    return _builtins


def dispatch_order() -> tuple[type[FormatHandler], ...]:
    """Built-ins first, then the handlers registered from elsewhere, each by priority."""
    global _order
    size = registry_size()
    if _order[0] != size:  # the registry only grows: its size is its version
        builtins = load_builtins()
        known = set(builtins)
        others = [h for h in registered_handlers() if h not in known]
        others.sort(key=lambda h: -h.priority)
        _order = (registry_size(), (*builtins, *others))
    return _order[1]


def _load_before_foreign(cls: type[FormatHandler]) -> None:
    if _builtins is None and not cls.__module__.startswith("aisec.artifacts."):
        load_builtins()


set_before_register(_load_before_foreign)
