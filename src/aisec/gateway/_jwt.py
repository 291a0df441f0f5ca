"""OIDC/JWT bearer tokens: signature by the identity provider's JWKS, issuer, audience,
expiry (with a configured clock skew), and the caller's principal and tenant from claims.

Only asymmetric algorithms the policy names are accepted, each only with a JWKS key of its
own family (RSA for RS*/PS*, EC for ES*, OKP for EdDSA); symmetric (``oct``) keys in a
JWKS are ignored, so neither ``alg: none`` nor an HS256 token "signed" with the public key
can verify. The JWKS is fetched with httpx, cached, and refetched when a token names an
unknown ``kid`` (at most once per ``jwks_refresh_min_s``, so forged ``kid``s cannot make
the gateway hammer the identity provider).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jwt

from aisec.gateway._bearer import UNAUTHORIZED, bearer_token
from aisec.gateway._contract import Caller, GatewayRefusal

if TYPE_CHECKING:
    from aisec.core.policy import JwtSettings
    from aisec.gateway._token_denials import TokenDenials

__all__ = ["JwksClient", "JwtAuthenticator"]

_MAX_TOKEN = 8192
_MAX_JWKS = 256 * 1024
_MAX_KEYS = 100
_FAMILY = {
    "RS": "RSA",
    "PS": "RSA",
    "ES": "EC",
    "Ed": "OKP",
}
# a claim the gateway keeps (principal, tenant, roles, jti): printable, and UTF-8 (half a
# surrogate pair, from a "\ud800" escape that PyJWT's json.loads keeps, cannot be stored)
_CLAIM_VALUE = re.compile(r"[^\x00-\x1f\x7f\ud800-\udfff]{1,256}")


def _refuse(code: str) -> GatewayRefusal:
    return GatewayRefusal(401, code, UNAUTHORIZED)


class JwksClient:
    """The signing keys at a JWKS URL, fetched on demand and cached."""

    def __init__(
        self,
        url: str,
        *,
        cache_s: float = 300.0,
        refresh_min_s: float = 10.0,
        timeout_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._cache_s = cache_s
        self._refresh_min_s = refresh_min_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._keys: dict[str, tuple[jwt.PyJWK, str | None]] = {}
        self._fetched: float | None = None  # when the keys were last fetched successfully
        self._tried: float | None = None  # when a fetch was last attempted
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many times the JWKS was requested (for tests and metrics)

    async def key(self, kid: str) -> tuple[jwt.PyJWK, str | None] | None:
        """The key ``kid`` and the algorithm its JWK names (if any), refetching the JWKS
        when it is stale or lacks ``kid``; None when the provider has no such key."""
        entry = self._keys.get(kid)
        if entry is not None and self._fresh():
            return entry
        async with self._lock:
            entry = self._keys.get(kid)
            if entry is not None and self._fresh():
                return entry
            now = self._clock()
            if self._tried is None or now - self._tried >= self._refresh_min_s:
                await self._fetch()
            elif self._fetched is None:  # the last try failed moments ago: do not hammer
                raise GatewayRefusal(
                    503, "jwks_unavailable", "the identity provider's keys cannot be fetched"
                )
            return self._keys.get(kid)

    def _fresh(self) -> bool:
        return self._fetched is not None and self._clock() - self._fetched < self._cache_s

    async def _fetch(self) -> None:
        import httpx

        self._tried = self._clock()
        self.fetches += 1
        try:
            async with (
                httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False) as client,
                client.stream("GET", self.url, headers={"accept": "application/json"}) as resp,
            ):
                if resp.status_code != 200:
                    raise ValueError(f"HTTP {resp.status_code}")
                body = bytearray()
                async for chunk in resp.aiter_bytes():
                    body += chunk
                    if len(body) > _MAX_JWKS:
                        raise ValueError("JWKS over 256 KiB")
            keys = self._parse(bytes(body))
        except (httpx.HTTPError, ValueError) as exc:
            if self._fetched is None or self._clock() - self._fetched >= 10 * self._cache_s:
                # Nothing usable cached: fail closed rather than trust a stale key set forever.
                self._keys = {}
                self._fetched = None
                raise GatewayRefusal(
                    503, "jwks_unavailable", "the identity provider's keys cannot be fetched"
                ) from exc
            return  # keep the cached keys; a fetch is retried after refresh_min_s
        self._keys = keys
        self._fetched = self._clock()

    @staticmethod
    def _parse(body: bytes) -> dict[str, tuple[jwt.PyJWK, str | None]]:
        try:
            doc = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ValueError("JWKS is not JSON (or nested too deep)") from exc
        entries = doc.get("keys") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            raise ValueError("JWKS has no 'keys' list")
        out: dict[str, tuple[jwt.PyJWK, str | None]] = {}
        for entry in entries[:_MAX_KEYS]:
            if not isinstance(entry, dict):
                continue
            kid = entry.get("kid")
            if not isinstance(kid, str) or entry.get("kty") not in ("RSA", "EC", "OKP"):
                continue  # symmetric ("oct") and unnamed keys are never used
            if entry.get("use", "sig") != "sig":
                continue
            alg = entry.get("alg")
            try:
                out[kid] = (jwt.PyJWK(entry), alg if isinstance(alg, str) else None)
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                continue  # one bad key must not take the others down
        return out


class JwtAuthenticator:
    """``Authorization: Bearer <JWT>`` validated as the policy's ``gateway_auth.jwt`` says."""

    def __init__(
        self,
        settings: JwtSettings,
        jwks: JwksClient | None = None,
        denials: TokenDenials | None = None,
    ) -> None:
        self.settings = settings
        self.denials = denials
        self.jwks = jwks or JwksClient(
            settings.jwks_url,
            cache_s=settings.jwks_cache_s,
            refresh_min_s=settings.jwks_refresh_min_s,
            timeout_s=settings.jwks_timeout_s,
        )
        self._algorithms = frozenset(settings.algorithms)
        self._require = ["exp", "iss", "aud"]

    async def authenticate(self, authorization: str | None) -> Caller:
        return await self.authenticate_token(bearer_token(authorization))

    async def authenticate_token(self, token: str) -> Caller:
        s = self.settings
        if len(token) > _MAX_TOKEN or token.count(".") != 2:
            raise _refuse("token_malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _refuse("token_malformed") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise _refuse("token_alg_not_allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _refuse("token_kid_missing")
        found = await self.jwks.key(kid)
        if found is None:
            raise _refuse("token_kid_unknown")
        key, jwk_alg = found
        # A key verifies only its own family, and only the algorithm its JWK names (if any).
        if key.key_type != _FAMILY[alg[:2]] or jwk_alg not in (None, alg):
            raise _refuse("token_alg_key_mismatch")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway_s,
                options={"require": self._require, "verify_signature": True},
            )
        except jwt.ExpiredSignatureError:
            raise _refuse("token_expired") from None
        except jwt.InvalidAudienceError:
            raise _refuse("token_audience") from None
        except jwt.InvalidIssuerError:
            raise _refuse("token_issuer") from None
        except jwt.ImmatureSignatureError:
            raise _refuse("token_not_yet_valid") from None
        except jwt.InvalidSignatureError:
            raise _refuse("token_signature") from None
        except jwt.MissingRequiredClaimError:
            raise _refuse("token_claim_missing") from None
        except jwt.InvalidTokenError:
            raise _refuse("token_invalid") from None
        principal = claims.get(s.principal_claim)
        if not isinstance(principal, str) or not _CLAIM_VALUE.fullmatch(principal):
            raise _refuse("token_principal_claim")
        tenant: str | None = None
        if s.tenant_claim is not None:
            raw = claims.get(s.tenant_claim)
            if raw is not None:
                if not isinstance(raw, str) or not _CLAIM_VALUE.fullmatch(raw):
                    raise _refuse("token_tenant_claim")
                tenant = raw
        roles: tuple[str, ...] = ()
        if s.roles_claim is not None:
            raw_roles = claims.get(s.roles_claim, [])
            if isinstance(raw_roles, str):
                raw_roles = raw_roles.split()
            if not isinstance(raw_roles, list) or not all(
                isinstance(r, str) and _CLAIM_VALUE.fullmatch(r) for r in raw_roles
            ):
                raise _refuse("token_roles_claim")
            roles = tuple(raw_roles[:50])
        if self.denials is not None:
            # after the signature: only a token the provider really issued costs a lookup
            jti = claims.get("jti")
            iat = claims.get("iat")
            await self.denials.check(
                principal,
                jti if isinstance(jti, str) and _CLAIM_VALUE.fullmatch(jti) else None,
                int(iat) if isinstance(iat, int | float) and not isinstance(iat, bool) else None,
            )
        return Caller(principal=principal, roles=roles, tenant=tenant, auth_method="jwt")
