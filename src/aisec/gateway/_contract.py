"""The seam between the gateway's request pipeline and its identity/limits layer.

The app (``_app.py``) asks an ``Authenticator`` who is calling, ``authorize`` whether
that caller may use a model, and a ``Limiter`` whether the call fits the caller's
quotas. Each refuses by raising ``GatewayRefusal``, which the app turns into an
OpenAI-style error body with the same status and reason code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Authenticator", "Caller", "GatewayRefusal", "Limiter", "ModelAuthorizer"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as established by authentication (never by a request header)."""

    principal: str
    roles: tuple[str, ...] = ()
    tenant: str | None = None
    key_prefix: str | None = None  # public prefix of the API key, for audit and metrics
    auth_method: str = "api_key"  # "api_key" | "jwt"
    models: frozenset[str] | None = None  # None: whatever the policy allows the principal
    rpm: int | None = None  # requests per minute for this key (None: policy default)
    tpm: int | None = None  # tokens per minute for this key (None: policy default)


class GatewayRefusal(Exception):  # noqa: N818 - a refusal is the normal outcome, not a bug
    """A request refused with an HTTP status and a machine-readable reason code."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


class Authenticator(Protocol):
    async def authenticate(self, authorization: str | None) -> Caller:
        """The caller for an ``Authorization`` header value; GatewayRefusal(401) otherwise."""
        ...


class ModelAuthorizer(Protocol):
    def authorize_model(self, caller: Caller, model: str) -> None:
        """Return if ``caller`` may use ``model``; GatewayRefusal(403, ...) otherwise."""
        ...


class Limiter(Protocol):
    async def admit(self, caller: Caller, tokens: int) -> None:
        """Count one request of ``tokens`` estimated tokens; GatewayRefusal(429, retry_after=…)
        when over a limit, GatewayRefusal(503) when the shared limiter cannot be reached."""
        ...
