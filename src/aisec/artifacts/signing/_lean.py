"""Import model_signing's modules without its package ``__init__``.

``import model_signing`` runs an ``__init__`` that imports its whole public API, and with it
sigstore-python, TUF, Rekor types, requests and boto3 (~0.7 s of CPU), even to sign with a
key. aisec needs only the key and certificate signers unless Sigstore is asked for, so when
model_signing is not loaded yet this registers its package as a plain namespace (its real
``__path__``, no ``__init__`` run) whose missing attributes import the submodule of that
name on first use: ``model_signing.signing``, ``from model_signing import hashing`` and
``model_signing.__version__`` keep working for any later importer.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
import threading
import types
from typing import Any

__all__ = ["load"]

_PACKAGE = "model_signing"
_PUBLIC = ["hashing", "signing", "verifying", "manifest"]  # its __init__'s __all__
_LOCK = threading.Lock()


class _LazyPackage(types.ModuleType):
    """The package, its public submodules imported on first attribute access."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return importlib.import_module(f"{self.__name__}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None


def _register() -> None:
    with _LOCK:
        if _PACKAGE in sys.modules:
            return
        spec = importlib.util.find_spec(_PACKAGE)
        if spec is None or not spec.submodule_search_locations:
            return  # let the import below raise its own error
        package = _LazyPackage(_PACKAGE)
        package.__spec__ = spec
        package.__path__ = list(spec.submodule_search_locations)
        package.__file__ = spec.origin
        package.__package__ = _PACKAGE
        package.__dict__["__all__"] = list(_PUBLIC)
        package.__dict__["__version__"] = importlib.metadata.version(_PACKAGE)
        sys.modules[_PACKAGE] = package


def load(name: str) -> Any:
    """``model_signing.<name>`` (e.g. ``"_signing.sign_ec_key"``), imported lean."""
    _register()
    return importlib.import_module(f"{_PACKAGE}.{name}")
