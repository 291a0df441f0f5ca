"""Looking up a key backend by name; importing this loads the built-in backends.

Kept apart from :mod:`._backend` (the interface the backends subclass) so the interface
does not import its implementations.
"""

from __future__ import annotations

from aisec.core.crypto import _backend_aws, _backend_local, _backend_vault  # noqa: F401
from aisec.core.crypto._backend import KeyBackend
from aisec.core.errors import ConfigError
from aisec.core.policy import KeysPolicy


def backend_class(name: str) -> type[KeyBackend]:
    cls = KeyBackend.registry.get(name)
    if cls is None:
        known = ", ".join(sorted(KeyBackend.registry))
        raise ConfigError(f"unknown key backend {name!r}: expected one of {known}")
    return cls


def backend_for(policy: KeysPolicy, name: str, ref: str) -> KeyBackend:
    return backend_class(name)(policy, ref)
