"""The AI gateway behind ``aisec up``: an OpenAI-compatible proxy that validates,
authenticates, authorizes, rate-limits, guards and audits every model call.

    from aisec.gateway import GatewaySettings, create_app
    app = create_app(GatewaySettings.from_policy(policy, upstream=url), authn, authz, limiter)

The identity layer (API keys, JWT, model authorization, limits) plugs in through the
protocols ``Authenticator``, ``ModelAuthorizer`` and ``Limiter``.
"""

from __future__ import annotations

from aisec.gateway._admin import mount_admin
from aisec.gateway._apikeys import (
    ApiKey,
    ApiKeyStore,
    create_key,
    list_keys,
    parse_expiry,
    revoke_key,
)
from aisec.gateway._app import DEMO_HEADER, create_app
from aisec.gateway._contract import (
    Authenticator,
    Caller,
    GatewayRefusal,
    Limiter,
    ModelAuthorizer,
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
from aisec.gateway._metrics import MULTIPROC_ENV
from aisec.gateway._serve import ENV as CONFIG_ENV
from aisec.gateway._serve import (
    KEEP_ALIVE_S,
    ServeConfig,
    app_from_env,
    build_app,
    config_env,
    settle_heap,
    start_echo,
)
from aisec.gateway._settings import GatewaySettings, Route
from aisec.gateway._token_denials import (
    TokenDenial,
    TokenDenials,
    deny_tokens,
    list_token_denials,
)

__all__ = [
    "CONFIG_ENV",
    "DEMO_HEADER",
    "KEEP_ALIVE_S",
    "MULTIPROC_ENV",
    "ApiKey",
    "ApiKeyAuthenticator",
    "ApiKeyStore",
    "Authenticator",
    "Caller",
    "GatewayAuthenticator",
    "GatewayIdentity",
    "GatewayRefusal",
    "GatewaySettings",
    "JwksClient",
    "JwtAuthenticator",
    "Limiter",
    "ModelAuthorizer",
    "PolicyModelAuthorizer",
    "RateLimiter",
    "Route",
    "ServeConfig",
    "TokenDenial",
    "TokenDenials",
    "app_from_env",
    "build_app",
    "config_env",
    "create_app",
    "create_key",
    "deny_tokens",
    "gateway_identity",
    "list_keys",
    "list_token_denials",
    "mount_admin",
    "parse_expiry",
    "revoke_key",
    "settle_heap",
    "start_echo",
]
