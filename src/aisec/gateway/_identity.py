"""The gateway's identity layer: who is calling (API key or OIDC JWT), which models and
tools they may use, and whether the call fits their quotas.

These implement the three protocols of ``_contract``; :func:`gateway_identity` builds all
three from the policy for ``create_app``. Every refusal is a ``GatewayRefusal`` with a
reason code; every 401 carries the same generic message, so a client learns the code
(``key_revoked``, ``token_expired``…) but nothing a guess could be tuned on.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hmac
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aisec.core.errors import AisecError
from aisec.gateway._apikeys import ApiKey, ApiKeyStore, parse_api_key
from aisec.gateway._bearer import UNAUTHORIZED, bearer_token
from aisec.gateway._contract import Caller, GatewayRefusal
from aisec.gateway._jwt import JwksClient, JwtAuthenticator
from aisec.gateway._ratelimit import RateLimiter

if TYPE_CHECKING:
    from aisec.core.policy import GatewayAccessPolicy, Policy
    from aisec.core.store import Store

__all__ = [
    "ApiKeyAuthenticator",
    "GatewayAuthenticator",
    "GatewayIdentity",
    "JwksClient",
    "JwtAuthenticator",
    "PolicyModelAuthorizer",
    "RateLimiter",
    "bearer_token",
    "gateway_identity",
]

# A revocation must reach every worker within 1 s: a cached key is trusted for at most
# this long before the store is asked again (one indexed read per key per worker per TTL).
CACHE_TTL_S = 0.5
_CACHE_MAX = 10_000
_TOUCH_EVERY_S = 60.0  # last_used is written at most this often per key and worker


class ApiKeyAuthenticator:
    """``Authorization: Bearer aisec_<prefix>_<secret>`` checked against the store.

    A key's row is cached for :data:`CACHE_TTL_S` (so the hot path does no database read)
    and then read again, which bounds how long a revoked key keeps working on a worker
    that did not revoke it. The secret is checked with :func:`hmac.compare_digest` on its
    keyed hash; an unknown prefix costs the same HMAC, so timing does not tell which
    prefixes exist.
    """

    def __init__(
        self,
        keys: ApiKeyStore,
        *,
        roles: Mapping[str, tuple[str, ...]] | None = None,
        cache_ttl_s: float = CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keys = keys
        self._roles = dict(roles or {})
        self._ttl = cache_ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}
        self._touched: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._inflight: dict[str, asyncio.Future[ApiKey | None]] = {}
        self.store_reads = 0  # rows read from the store (for tests and metrics)

    def _load(self, prefix: str) -> ApiKey | None:
        self.store_reads += 1
        return self.keys.get(prefix)

    def forget(self, prefix: str | None = None) -> None:
        """Drop cached rows (all, or one key's), e.g. right after a local revocation."""
        if prefix is None:
            self._cache.clear()
        else:
            self._cache.pop(prefix, None)

    async def _lookup(self, prefix: str) -> ApiKey | None:
        now = self._clock()
        hit = self._cache.get(prefix)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        # One read per key however many requests arrive while it is under way.
        task = self._inflight.get(prefix)
        if task is None:
            task = asyncio.ensure_future(asyncio.to_thread(self._load, prefix))
            self._inflight[prefix] = task
            task.add_done_callback(lambda _t: self._inflight.pop(prefix, None))
        try:
            key = await asyncio.shield(task)
        except (AisecError, ValueError) as exc:  # store down, misconfigured, bad row: fail closed
            raise GatewayRefusal(
                503, "auth_store_unavailable", "authentication is unavailable"
            ) from exc
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()  # random prefixes must not grow memory without bound
        self._cache[prefix] = (now, key)
        return key

    async def authenticate(self, authorization: str | None) -> Caller:
        return await self.authenticate_token(bearer_token(authorization))

    async def authenticate_token(self, token: str) -> Caller:
        parsed = parse_api_key(token)
        if parsed is None:
            raise GatewayRefusal(401, "key_malformed", UNAUTHORIZED)
        prefix, secret = parsed
        key = await self._lookup(prefix)
        try:
            hash_key = self.keys.hash_key
        except AisecError as exc:
            raise GatewayRefusal(
                503, "auth_misconfigured", "authentication is unavailable (API-key hash key)"
            ) from exc
        digest = hash_key.digest(prefix, secret)
        if key is None:
            hmac.compare_digest(digest, "0" * 64)  # same work as a known prefix
            raise GatewayRefusal(401, "key_invalid", UNAUTHORIZED)
        if key.hash_key_id != hash_key.key_id:
            raise GatewayRefusal(
                503,
                "auth_misconfigured",
                "authentication is unavailable (this gateway's API-key hash key differs "
                "from the one that made the key)",
            )
        if not hmac.compare_digest(digest, key.key_hash):
            raise GatewayRefusal(401, "key_invalid", UNAUTHORIZED)
        now = datetime.now(UTC)
        if key.revoked is not None:
            raise GatewayRefusal(401, "key_revoked", UNAUTHORIZED)
        if key.expires is not None and key.expires <= now:
            raise GatewayRefusal(401, "key_expired", UNAUTHORIZED)
        self._maybe_touch(key, now)
        return Caller(
            principal=key.principal,
            roles=self._roles.get(key.principal, ()),
            tenant=key.tenant,
            key_prefix=key.prefix,
            auth_method="api_key",
            models=key.models,
            rpm=key.rpm,
            tpm=key.tpm,
        )

    def _maybe_touch(self, key: ApiKey, now: datetime) -> None:
        """Record last use in the background, at most once a minute per key and worker."""
        mono = self._clock()
        last = self._touched.get(key.prefix)
        if last is not None and mono - last < _TOUCH_EVERY_S:
            return
        if key.last_used is not None and (now - key.last_used).total_seconds() < _TOUCH_EVERY_S:
            return
        if len(self._touched) >= _CACHE_MAX:
            self._touched.clear()
        self._touched[key.prefix] = mono
        task = asyncio.get_running_loop().create_task(self._touch(key.prefix, now))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _touch(self, prefix: str, now: datetime) -> None:
        try:
            await asyncio.to_thread(self.keys.touch, prefix, now)
        except AisecError:
            return  # last_used is informational; the request was already authenticated


class GatewayAuthenticator:
    """API keys (``aisec_…``) and, when the policy configures it, OIDC JWTs."""

    def __init__(
        self, api_keys: ApiKeyAuthenticator | None, jwt: JwtAuthenticator | None = None
    ) -> None:
        self.api_keys = api_keys
        self.jwt = jwt

    async def authenticate(self, authorization: str | None) -> Caller:
        token = bearer_token(authorization)
        if token.startswith("aisec_"):
            if self.api_keys is None:
                raise GatewayRefusal(401, "key_not_accepted", UNAUTHORIZED)
            return await self.api_keys.authenticate_token(token)
        if self.jwt is not None and token.count(".") == 2:
            return await self.jwt.authenticate_token(token)
        raise GatewayRefusal(401, "credentials_malformed", UNAUTHORIZED)

    async def ready(self) -> str:
        """``ok`` when the API-key store answers a read (for ``/readyz``), else why not."""
        if self.api_keys is None:
            return "ok"
        try:
            await asyncio.to_thread(self.api_keys.keys.get, "000000000000")
        except (AisecError, ValueError) as exc:
            return f"unavailable: {type(exc).__name__}"
        return "ok"


def _globs(patterns: Iterable[str]) -> re.Pattern[str]:
    """One compiled regex for a list of globs (an empty list matches nothing)."""
    parts = [fnmatch.translate(p) for p in patterns]
    return re.compile("|".join(f"(?:{p})" for p in parts) if parts else r"(?!)")


def _matcher(patterns: Iterable[str] | None) -> re.Pattern[str] | None:
    """None (this layer does not restrict) or the globs' regex."""
    return None if patterns is None else _globs(patterns)


_NAME_OK = re.compile(r"[^\x00-\x1f\x7f]{1,256}")


_MODELS, _TOOLS, _ROUTES = 0, 1, 2
_KINDS = ("model", "tool", "route")


class PolicyModelAuthorizer:
    """Models, tools and routes per key, principal and tenant, from the policy (compiled once).

    Routes are checked where :meth:`bind_routes` told the authorizer which route serves a
    model (``build_app`` does, with the app's own routing), so ``/v1/models`` and every
    model call see the same answer.
    """

    def __init__(self, policy: GatewayAccessPolicy) -> None:
        self.policy = policy
        self._defaults = (
            _matcher(policy.default_models),
            _matcher(policy.default_tools),
            _matcher(policy.default_routes),
        )
        self._principals = {
            r.name: (_matcher(r.models), _matcher(r.tools), _matcher(r.routes))
            for r in policy.principals
        }
        self._tenants = {
            r.name: (_matcher(r.models), _matcher(r.tools), _matcher(r.routes))
            for r in policy.tenants
        }
        self._key_models: dict[frozenset[str], re.Pattern[str]] = {}
        self._route_of: Callable[[str], str | None] | None = None

    def bind_routes(self, route_of: Callable[[str], str | None]) -> None:
        """Check routes too: ``route_of(model)`` names the route serving a model (or None)."""
        self._route_of = route_of

    def _check_tenant(self, caller: Caller) -> None:
        if caller.tenant is None:
            if self.policy.require_tenant:
                raise GatewayRefusal(403, "tenant_required", "this caller has no tenant")
            return
        if self._tenants and caller.tenant not in self._tenants:
            raise GatewayRefusal(403, "tenant_not_allowed", "this caller's tenant is not allowed")

    def _layers(self, caller: Caller, kind: int) -> list[tuple[str, re.Pattern[str] | None]]:
        rule = self._principals.get(caller.principal)
        own = rule[kind] if rule is not None else None
        layers = [("principal", own if own is not None else self._defaults[kind])]
        if caller.tenant is not None and caller.tenant in self._tenants:
            layers.append(("tenant", self._tenants[caller.tenant][kind]))
        return layers

    def _check(self, caller: Caller, kind: int, name: str) -> None:
        what = _KINDS[kind]
        for layer, matcher in self._layers(caller, kind):
            if matcher is not None and not matcher.fullmatch(name):
                code = f"{what}_not_allowed" + ("" if layer == "principal" else "_for_tenant")
                raise GatewayRefusal(403, code, f"this {layer} may not use that {what}")

    def authorize_model(self, caller: Caller, model: str) -> None:
        self._check_tenant(caller)
        if not _NAME_OK.fullmatch(model):
            raise GatewayRefusal(403, "model_not_allowed", "this caller may not use that model")
        if caller.models is not None:
            m = self._key_models.get(caller.models)
            if m is None:
                if len(self._key_models) > 10_000:
                    self._key_models.clear()
                m = _globs(sorted(caller.models))
                self._key_models[caller.models] = m
            if not m.fullmatch(model):
                raise GatewayRefusal(
                    403, "model_not_allowed_for_key", "this API key may not use that model"
                )
        self._check(caller, _MODELS, model)
        route = self._route_of(model) if self._route_of is not None else None
        if route is not None:
            self._check(caller, _ROUTES, route)

    def authorize_tools(self, caller: Caller, tools: Iterable[str]) -> None:
        """Return if ``caller`` may offer every tool in ``tools`` to a model; 403 otherwise."""
        self._check_tenant(caller)
        for tool in tools:
            if not _NAME_OK.fullmatch(tool):
                raise GatewayRefusal(403, "tool_not_allowed", "this caller may not use that tool")
            self._check(caller, _TOOLS, tool)


@dataclass(frozen=True, slots=True)
class GatewayIdentity:
    """The three pieces ``create_app`` takes, and the API-key store the admin API manages."""

    authenticator: GatewayAuthenticator
    authorizer: PolicyModelAuthorizer
    limiter: RateLimiter
    keys: ApiKeyStore


def gateway_identity(
    policy: Policy | None, store: Store, *, redis_url: str | None = None
) -> GatewayIdentity:
    """Authenticator, authorizer and limiter for ``policy`` (None: defaults) on ``store``.

    The limiter uses Redis at ``redis_url`` (default ``AISEC_REDIS_URL``) when set, so
    replicas share counters; else it counts in this process.
    """
    from aisec.core.policy import GatewayAccessPolicy

    access = policy.gateway_auth if policy is not None else GatewayAccessPolicy()
    roles = {p.name: tuple(p.roles) for p in policy.access.principals} if policy else {}
    keys = ApiKeyStore(store)
    api_keys = ApiKeyAuthenticator(keys, roles=roles)
    jwt_auth = None
    if access.jwt is not None:
        from aisec.gateway._token_denials import TokenDenials

        jwt_auth = JwtAuthenticator(access.jwt, denials=TokenDenials(store))
    return GatewayIdentity(
        authenticator=GatewayAuthenticator(api_keys, jwt_auth),
        authorizer=PolicyModelAuthorizer(access),
        limiter=RateLimiter(access, redis_url=redis_url),
        keys=keys,
    )
