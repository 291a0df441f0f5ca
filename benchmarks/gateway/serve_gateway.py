"""The gateway under benchmark: one uvicorn worker (uvloop + httptools), guard on (default
input and output scanners), a fixed-key authenticator, an in-memory limiter with no
effective limit, audit to a fresh SQLite store in $AISEC_HOME with the secret redactor
installed as ``aisec up`` installs it (every audit event's details pass it).

Usage: python serve_gateway.py PORT UPSTREAM_URL [guard-off]   (guard-off: no scanners,
to separate the gateway's own cost from the guard's)
"""

from __future__ import annotations

import hmac
import os
import sys

import uvicorn

from aisec.gateway import (
    KEEP_ALIVE_S,
    Caller,
    GatewayRefusal,
    GatewaySettings,
    create_app,
    settle_heap,
)

KEY = "sk-bench-0123456789abcdef"


class Keys:
    async def authenticate(self, authorization: str | None) -> Caller:
        if not authorization or not hmac.compare_digest(
            authorization.encode(), f"Bearer {KEY}".encode()
        ):
            raise GatewayRefusal(401, "invalid_api_key", "unknown API key")
        return Caller("bench", key_prefix=KEY[:12])


class AnyModel:
    def authorize_model(self, caller: Caller, model: str) -> None:
        return None


class Counter:
    def __init__(self) -> None:
        self.n = 0

    async def admit(self, caller: Caller, tokens: int) -> None:
        self.n += 1


if __name__ == "__main__":
    from aisec.cli import _redact

    _redact.install()  # what the CLI does at start, so audit costs what it costs in aisec up
    port, upstream = int(sys.argv[1]), sys.argv[2]
    settings = GatewaySettings.from_policy(None, upstream=upstream)
    engine = None
    if sys.argv[3:] == ["guard-off"]:
        from aisec.core.policy import GuardPolicy
        from aisec.guard import Engine

        engine = Engine(GuardPolicy(defaults=False))
    audit = None
    if os.environ.get("BENCH_AUDIT") == "off":  # to measure what the audit writer costs

        class NoAudit:
            def append_many(self, *args: object, **kwargs: object) -> list[object]:
                return []

        audit = NoAudit()
    app = create_app(settings, Keys(), AnyModel(), Counter(), engine, audit=audit)
    settle_heap()  # as aisec up does after building its app
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_S,  # as aisec up
    )
