"""The AI gateway behind ``aisec up``: identity, authorization and quotas.

(This branch holds only the identity layer; the gateway-core branch writes the real
``__init__``. At merge, keep its exports and add the names below.)
"""

from __future__ import annotations

from aisec.gateway._apikeys import (
    ApiKey,
    ApiKeyStore,
    create_key,
    list_keys,
    parse_expiry,
    revoke_key,
)

__all__ = [
    "ApiKey",
    "ApiKeyStore",
    "create_key",
    "list_keys",
    "parse_expiry",
    "revoke_key",
]
