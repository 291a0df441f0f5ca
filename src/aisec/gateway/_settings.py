"""What one gateway app runs with: its routes (resolved once), guard policy and mode."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field

from aisec.core.policy import GatewayPolicy, GuardPolicy, Policy, RoutePolicy

__all__ = ["GatewaySettings", "Route"]

_GLOB = frozenset("*?[")
UPSTREAM_KEY_ENV = "AISEC_UPSTREAM_API_KEY"  # the --upstream route's key, if it needs one


@dataclass(frozen=True, slots=True)
class Route:
    """A route from the policy, with what the request path needs precomputed."""

    policy: RoutePolicy
    base_url: str
    upstream_headers: tuple[tuple[str, str], ...]
    max_body_bytes: int

    @property
    def name(self) -> str:
        return self.policy.name

    def matches(self, model: str) -> bool:
        return any(
            fnmatch.fnmatchcase(model, p) if _GLOB & set(p) else model == p
            for p in self.policy.models
        )

    @property
    def exact_models(self) -> list[str]:
        return [p for p in self.policy.models if not (_GLOB & set(p))]

    @property
    def has_patterns(self) -> bool:
        return any(_GLOB & set(p) for p in self.policy.models)


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Routes, guard policy and flags; build with :meth:`from_policy`."""

    gateway: GatewayPolicy = field(default_factory=GatewayPolicy)
    guard: GuardPolicy | None = None
    demo: bool = False
    routes: tuple[Route, ...] = ()

    @classmethod
    def from_policy(
        cls, policy: Policy | None = None, *, upstream: str | None = None, demo: bool = False
    ) -> GatewaySettings:
        """Settings for ``policy``; ``upstream`` adds a last route serving every model (its
        API key, if any, from ``$AISEC_UPSTREAM_API_KEY``)."""
        gw = policy.gateway if policy is not None else GatewayPolicy()
        routes = list(gw.routes)
        if upstream is not None:
            taken = {r.name for r in routes}
            name = "default" if "default" not in taken else "default-upstream"
            routes.append(
                RoutePolicy(
                    name=name, models=["*"], upstream=upstream, api_key_env=UPSTREAM_KEY_ENV
                )
            )
            gw = gw.model_copy(update={"routes": routes})
        resolved = []
        for r in routes:
            headers: list[tuple[str, str]] = [("content-type", "application/json")]
            if r.api_key_env:
                secret = os.environ.get(r.api_key_env)
                if secret:
                    headers.append(("authorization", f"Bearer {secret}"))
            resolved.append(
                Route(
                    policy=r,
                    base_url=r.upstream.rstrip("/"),
                    upstream_headers=tuple(headers),
                    max_body_bytes=r.max_body_bytes or gw.max_body_bytes,
                )
            )
        return cls(
            gateway=gw,
            guard=policy.guard if policy is not None else None,
            demo=demo,
            routes=tuple(resolved),
        )

    def route_for(self, model: str) -> Route | None:
        for route in self.routes:
            if route.matches(model):
                return route
        return None

    def route_name(self, model: str) -> str | None:
        """The name of the route serving ``model`` (None: no route does)."""
        route = self.route_for(model)
        return route.name if route is not None else None

    @property
    def max_body_bytes(self) -> int:
        """The largest body any route accepts (checked before the model is known)."""
        if not self.routes:
            return self.gateway.max_body_bytes
        return max(r.max_body_bytes for r in self.routes)
