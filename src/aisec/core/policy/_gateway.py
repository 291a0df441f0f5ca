"""The ``gateway:`` section: routes from model names to OpenAI-compatible upstreams.

```yaml
gateway:
  max_body_bytes: 1048576      # default cap on a request body (a route may lower or raise it)
  stream_window_chars: 256     # output held back on streams so a split secret is caught
  routes:
    - name: local-vllm
      models: ["llama-3*", "mistral-7b"]   # exact names or shell-style patterns
      upstream: http://127.0.0.1:8000/v1   # base URL; /chat/completions etc. are appended
      api_key_env: VLLM_API_KEY           # env var holding the upstream's key (optional)
      timeout_s: 60
      connect_timeout_s: 5
      allowed_image_hosts: [images.example.com]
      guard: true                          # false needs guard_off_reason; audited at start
```
The first route whose ``models`` match the requested model serves it; a model no route
matches is refused (404). ``aisec up --upstream URL`` adds a route for every model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["GatewayPolicy", "RoutePolicy"]

_MIB = 1 << 20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoutePolicy(_Strict):
    """One upstream and the models it serves."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    models: list[str] = Field(min_length=1, description="Model names or fnmatch patterns.")
    upstream: str = Field(
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="Base URL of an OpenAI-compatible API (with its /v1 if it has one).",
    )
    api_key_env: str | None = Field(
        default=None, description="Environment variable holding the upstream's API key."
    )
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    connect_timeout_s: float = Field(default=5.0, gt=0, le=600)
    max_body_bytes: int | None = Field(default=None, ge=1024, le=64 * _MIB)
    max_tokens: int = Field(default=32768, ge=1, le=1_000_000)
    allowed_image_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts image_url parts may point at (data: URLs are always allowed).",
    )
    guard: bool = Field(default=True, description="Run the guard on this route's traffic.")
    guard_off_reason: str | None = Field(
        default=None, description="Why the guard is off here (required when guard is false)."
    )
    fail_open: bool = Field(
        default=False,
        description="Serve requests when the guard, store or limiter fails (audited).",
    )
    canary: bool = Field(
        default=False,
        description="Insert a canary token into the system prompt; block answers that leak it.",
    )
    spotlight: Literal["delimit", "datamark"] = Field(
        default="delimit",
        description="How messages marked by x-aisec-documents are shown to the model as data.",
    )

    @model_validator(mode="after")
    def _opt_out_has_reason(self) -> RoutePolicy:
        if not self.guard and not (self.guard_off_reason or "").strip():
            raise ValueError("guard: false needs guard_off_reason saying why")
        return self


class GatewayPolicy(_Strict):
    """How ``aisec up`` routes, limits and guards model calls."""

    max_body_bytes: int = Field(default=_MIB, ge=1024, le=64 * _MIB)
    stream_window_chars: int = Field(default=256, ge=16, le=65536)
    routes: list[RoutePolicy] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> GatewayPolicy:
        names = [r.name for r in self.routes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"route names must be unique; repeated: {', '.join(dup)}")
        return self
