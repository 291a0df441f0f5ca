"""The ``gateway_auth:`` section: who may call the gateway, which models and tools they
may use, and their default quotas (owned by ``aisec.gateway``'s identity layer).

```yaml
gateway_auth:
  jwt:                                  # OIDC bearer tokens (API keys work without this)
    jwks_url: https://idp.example.com/.well-known/jwks.json
    issuer: https://idp.example.com/
    audience: [aisec-gateway]
    algorithms: [RS256, ES256]          # asymmetric only: never none, never HS*
    principal_claim: sub
    tenant_claim: org
  default_models: ["*"]                 # what a principal with no rule of its own may use
  default_routes: ["*"]                 # the routes (gateway.routes names) it may reach
  limits: {rpm: 600, tpm: 200000}       # per key (or per JWT principal) unless the key says
  principals:
    - {name: app1, models: [gpt-4o-mini, "llama3*"], tools: [search], routes: [local-vllm],
       rpm: 1000, tpd: 5000000}
  tenants:
    - {name: acme, models: ["gpt-*"], routes: ["*"], tpm: 1000000}
```

Model, tool and route names take shell-style globs (``*``, ``?``, ``[...]``). A caller may
use a model only where every layer that speaks allows it: the key's own ``--models``, the
principal's rule (else ``default_models``) and the tenant's rule; and only through a route
(the first of ``gateway.routes`` serving that model) that the principal's rule (else
``default_routes``) and the tenant's rule allow.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Asymmetric only: "none" and the HMAC family are left out on purpose (an HS256 token
# "signed" with the IdP's public key would otherwise verify).
JwtAlgorithm = Literal[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"
]
_NAME = r"^[A-Za-z0-9*?\[][A-Za-z0-9._@:/+*?\[\]!-]{0,199}$"


def _default_algorithms() -> list[JwtAlgorithm]:
    return ["RS256"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JwtSettings(_Strict):
    """Validation of OIDC/JWT bearer tokens against the identity provider's JWKS."""

    jwks_url: str = Field(pattern=r"^https?://", description="Where the signing keys are.")
    issuer: str = Field(min_length=1, description="Required `iss`.")
    audience: list[str] = Field(min_length=1, description="Accepted `aud` values.")
    algorithms: list[JwtAlgorithm] = Field(default_factory=_default_algorithms, min_length=1)
    leeway_s: int = Field(default=30, ge=0, le=300, description="Clock skew allowed.")
    principal_claim: str = Field(default="sub", min_length=1)
    tenant_claim: str | None = None
    roles_claim: str | None = None
    jwks_cache_s: int = Field(default=300, ge=1, le=86400, description="Refetch period.")
    jwks_refresh_min_s: float = Field(
        default=10.0,
        ge=0.0,
        le=3600.0,
        description="Least time between refetches caused by an unknown `kid`.",
    )
    jwks_timeout_s: float = Field(default=3.0, gt=0.0, le=60.0)

    @field_validator("jwks_url")
    @classmethod
    def _https(cls, v: str) -> str:
        # Over plain HTTP anyone on the path could serve their own signing keys.
        from urllib.parse import urlsplit

        parts = urlsplit(v)
        if parts.scheme == "https" and parts.hostname:
            return v
        if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1", "localhost"):
            return v
        raise ValueError("must be an https:// URL (plain http only to a loopback address)")

    @field_validator("audience", mode="before")
    @classmethod
    def _one_audience(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v


class Limits(_Strict):
    """Requests per minute, tokens per minute and tokens per day (None: no limit)."""

    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)
    tpd: int | None = Field(default=None, ge=1)


class AccessRule(Limits):
    """What one principal or tenant may use, and its own quotas (shared by all its keys)."""

    name: str = Field(min_length=1, max_length=200)
    models: list[str] | None = Field(
        default=None, description="Allowed models (globs); None: this layer does not restrict."
    )
    tools: list[str] | None = Field(
        default=None, description="Allowed tools (globs); None: this layer does not restrict."
    )
    routes: list[str] | None = Field(
        default=None,
        description="Allowed routes (names or globs); None: this layer does not restrict.",
    )

    @field_validator("models", "tools", "routes")
    @classmethod
    def _names(cls, v: list[str] | None) -> list[str] | None:
        import re

        for name in v or []:
            if not re.fullmatch(_NAME, name):
                raise ValueError(f"{name[:60]!r} is not a model, tool or route name or glob")
        return v


class GatewayAccessPolicy(_Strict):
    jwt: JwtSettings | None = None
    default_models: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Models for a principal without a rule that lists models ([] = none).",
    )
    default_tools: list[str] = Field(default_factory=lambda: ["*"])
    default_routes: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Routes for a principal without a rule that lists routes ([] = none).",
    )
    limits: Limits = Field(
        default_factory=Limits, description="Per key (or JWT principal) unless the key says."
    )
    principals: list[AccessRule] = Field(default_factory=list)
    tenants: list[AccessRule] = Field(default_factory=list)
    require_tenant: bool = Field(
        default=False, description="Refuse callers with no tenant (a key without --tenant)."
    )

    @field_validator("principals", "tenants")
    @classmethod
    def _unique(cls, v: list[AccessRule]) -> list[AccessRule]:
        names = [r.name for r in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"listed more than once: {', '.join(dupes)}")
        return v
