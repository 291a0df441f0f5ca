"""Requests per minute and tokens per minute and per day, per key, principal and tenant,
with the ``limits`` library: in this process by default, in Redis when
``AISEC_REDIS_URL`` is set so every replica counts against the same numbers.

Each limit is a sliding-window counter (``limits``' Lua script on Redis, a lock per key in
memory), so a burst of parallel requests cannot overshoot a limit. A request's counters
(per key, principal and tenant; requests, tokens per minute and per day) are hit together;
a request refused by one limit has still been counted by the others, which errs on the
side of refusing.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import ConfigurationError, StorageError

from aisec.core.errors import ConfigError
from aisec.gateway._contract import Caller, GatewayRefusal

if TYPE_CHECKING:
    from aisec.core.policy import GatewayAccessPolicy

__all__ = ["ENV_REDIS_URL", "RateLimiter"]

ENV_REDIS_URL = "AISEC_REDIS_URL"
_SCHEMES = {"redis": "async+redis", "rediss": "async+rediss", "unix": "async+redis+unix"}
_PLAN_CACHE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class _Check:
    item: RateLimitItem
    ids: tuple[str, ...]
    tokens: bool  # counts tokens (else requests)
    code: str  # reason code when over


def _storage(url: str | None, timeout_s: float) -> Storage:
    if not url:
        return MemoryStorage(wrap_exceptions=True)
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _SCHEMES:
        raise ConfigError(
            f"{ENV_REDIS_URL}: expected redis://HOST:PORT[/DB], rediss://… or unix://PATH"
        )
    import redis.asyncio  # noqa: F401 - loaded before limits looks up its version (a race otherwise)

    try:
        return RedisStorage(
            f"{_SCHEMES[scheme]}://{rest}",
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix="aisec-limits",
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
        )
    except ConfigurationError as exc:
        raise ConfigError(f"{ENV_REDIS_URL}: {exc}") from None


class RateLimiter:
    """The gateway's ``Limiter``: quotas from the key and the policy's ``gateway_auth``."""

    def __init__(
        self,
        policy: GatewayAccessPolicy,
        *,
        redis_url: str | None = None,
        timeout_s: float = 2.0,
    ) -> None:
        url = redis_url if redis_url is not None else os.environ.get(ENV_REDIS_URL)
        self.shared = bool(url)
        self._storage = _storage(url, timeout_s)
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)
        self._policy = policy
        self._principals = {r.name: r for r in policy.principals}
        self._tenants = {r.name: r for r in policy.tenants}
        self._items: dict[tuple[str, int], RateLimitItem] = {}
        self._plans: dict[tuple[object, ...], tuple[_Check, ...]] = {}

    def _item(self, per: str, amount: int) -> RateLimitItem:
        item = self._items.get((per, amount))
        if item is None:
            cls = RateLimitItemPerMinute if per == "minute" else RateLimitItemPerDay
            item = self._items[(per, amount)] = cls(amount, namespace="aisec")
        return item

    def _plan(self, caller: Caller) -> tuple[_Check, ...]:
        cache_key = (caller.principal, caller.tenant, caller.key_prefix, caller.rpm, caller.tpm)
        plan = self._plans.get(cache_key)
        if plan is not None:
            return plan
        defaults = self._policy.limits
        if caller.key_prefix is not None:
            own: tuple[str, ...] = ("key", caller.key_prefix)
        else:  # a JWT caller: the per-key defaults apply to the principal
            own = ("caller", caller.principal)
        scopes: list[tuple[str, tuple[str, ...], int | None, int | None, int | None]] = [
            ("key", own, caller.rpm or defaults.rpm, caller.tpm or defaults.tpm, defaults.tpd)
        ]
        rule = self._principals.get(caller.principal)
        if rule is not None:
            scopes.append(
                ("principal", ("principal", caller.principal), rule.rpm, rule.tpm, rule.tpd)
            )
        if caller.tenant is not None:
            trule = self._tenants.get(caller.tenant)
            if trule is not None:
                scopes.append(
                    ("tenant", ("tenant", caller.tenant), trule.rpm, trule.tpm, trule.tpd)
                )
        checks: list[_Check] = []
        for scope, ids, rpm, _, _ in scopes:
            if rpm is not None:
                checks.append(
                    _Check(self._item("minute", rpm), ids, False, f"rate_limit_{scope}_rpm")
                )
        for scope, ids, _, tpm, _ in scopes:
            if tpm is not None:
                checks.append(
                    _Check(self._item("minute", tpm), ids, True, f"rate_limit_{scope}_tpm")
                )
        for scope, ids, _, _, tpd in scopes:
            if tpd is not None:
                checks.append(_Check(self._item("day", tpd), ids, True, f"rate_limit_{scope}_tpd"))
        plan = tuple(checks)
        if len(self._plans) >= _PLAN_CACHE_MAX:
            self._plans.clear()
        self._plans[cache_key] = plan
        return plan

    async def admit(self, caller: Caller, tokens: int) -> None:
        tokens = max(int(tokens), 0)
        checks = [c for c in self._plan(caller) if not c.tokens or tokens > 0]
        for check in checks:
            if check.tokens and tokens > check.item.amount:
                raise GatewayRefusal(
                    429,
                    check.code,
                    "this request needs more tokens than the quota allows in one window",
                    retry_after=float(check.item.get_expiry()),
                )
        if not checks:
            return
        # The counters are independent: count them all at once (one round trip of latency
        # on Redis, not one per limit). Each hit is atomic on its own.
        try:
            if len(checks) == 1:
                results = [await self._hit(checks[0], tokens)]
            else:
                results = await asyncio.gather(*(self._hit(c, tokens) for c in checks))
        except StorageError as exc:
            raise self._unavailable() from exc
        for check, ok in zip(checks, results, strict=True):
            if not ok:
                raise GatewayRefusal(
                    429, check.code, "rate limit exceeded", retry_after=await self._retry(check)
                )

    async def _hit(self, check: _Check, tokens: int) -> bool:
        return await self._limiter.hit(check.item, *check.ids, cost=tokens if check.tokens else 1)

    async def _retry(self, check: _Check) -> float:
        try:
            stats = await self._limiter.get_window_stats(check.item, *check.ids)
        except StorageError as exc:
            raise self._unavailable() from exc
        wait = stats.reset_time - time.time()
        return float(min(max(1.0, round(wait, 1)), check.item.get_expiry()))

    @staticmethod
    def _unavailable() -> GatewayRefusal:
        return GatewayRefusal(503, "limiter_unavailable", "the rate limiter cannot be reached")

    async def ready(self) -> bool:
        """Whether the counters' storage answers (for ``/readyz``)."""
        try:
            return bool(await self._storage.check())
        except StorageError:
            return False

    async def reset(self) -> None:
        """Forget every counter (tests and operators after changing limits)."""
        try:
            await self._storage.reset()
        except StorageError as exc:
            raise self._unavailable() from exc
