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
from aisec.gateway._identity import (
    ApiKeyAuthenticator,
    GatewayAuthenticator,
    GatewayIdentity,
    JwksClient,
    JwtAuthenticator,
    PolicyModelAuthorizer,
    RateLimiter,
    gateway_identity,
)

__all__ = [
    "ApiKey",
    "ApiKeyAuthenticator",
    "ApiKeyStore",
    "GatewayAuthenticator",
    "GatewayIdentity",
    "JwksClient",
    "JwtAuthenticator",
    "PolicyModelAuthorizer",
    "RateLimiter",
    "create_key",
    "gateway_identity",
    "list_keys",
    "parse_expiry",
    "revoke_key",
]
