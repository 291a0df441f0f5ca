"""INTERIM identity layer for ``aisec up`` until ``aisec.gateway._identity`` is merged.

The real API keys, JWT, model authorization and limits are built in parallel (issue 13,
gateway-auth). Until the lead wires them in, :func:`identity_layer` is the one place to
replace: it returns an authenticator that refuses every request (fail closed) outside
demo mode, and in demo mode one per-process demo key that is never stored (it lives in
this process's memory and the banner), compared in constant time. No limiter: every
request is admitted. Nothing here stores keys.
"""

from __future__ import annotations

import hmac
import secrets

from aisec.gateway._contract import (
    Authenticator,
    Caller,
    GatewayRefusal,
    Limiter,
    ModelAuthorizer,
)

__all__ = ["demo_key", "identity_layer"]


class _Refuse:
    async def authenticate(self, authorization: str | None) -> Caller:
        raise GatewayRefusal(
            401,
            "identity_layer_missing",
            "this build has no API-key store yet (aisec.gateway._identity); "
            "use 'aisec up --demo' to try the gateway",
        )


class _DemoKey:
    def __init__(self, key: str) -> None:
        self._key = key.encode()

    async def authenticate(self, authorization: str | None) -> Caller:
        if not authorization or not authorization.startswith("Bearer "):
            raise GatewayRefusal(401, "missing_api_key", "send 'Authorization: Bearer <key>'")
        if not hmac.compare_digest(authorization[7:].encode(), self._key):
            raise GatewayRefusal(401, "invalid_api_key", "unknown API key")
        return Caller("demo", key_prefix=self._key[:12].decode(), auth_method="api_key")


class _AnyModel:
    def authorize_model(self, caller: Caller, model: str) -> None:
        return None


class _NoLimit:
    async def admit(self, caller: Caller, tokens: int) -> None:
        return None


def demo_key() -> str:
    """A fresh demo key for this run. PLACEHOLDER: replaced at merge by a key created in
    the API-key store (``aisec access apikey create --principal demo``)."""
    return "sk-aisec-demo-" + secrets.token_urlsafe(24)


def identity_layer(
    demo_api_key: str | None,
) -> tuple[Authenticator, ModelAuthorizer, Limiter]:
    """The authenticator, authorizer and limiter ``aisec up`` runs with (replace at merge)."""
    authn: Authenticator = _DemoKey(demo_api_key) if demo_api_key else _Refuse()
    return authn, _AnyModel(), _NoLimit()
