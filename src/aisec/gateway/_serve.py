"""Running the gateway: ``aisec up`` builds a config, then uvicorn serves the app.

With ``--workers N`` uvicorn starts N processes that each import
:func:`app_from_env` (the config travels in ``AISEC_GATEWAY_CONFIG``); they share state
only through the store (and the limiter's Redis once wired). ``--demo`` also serves the
echo upstream on its own port in a thread of the parent process.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import threading
import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aisec.core.errors import ConfigError

__all__ = ["ENV", "ServeConfig", "app_from_env", "build_app", "config_env", "start_echo"]

ENV = "AISEC_GATEWAY_CONFIG"


@dataclass(frozen=True, slots=True)
class ServeConfig:
    policy: str | None = None
    upstream: str | None = None
    demo: bool = False


# Idle client connections are kept this long (uvicorn's default is 5 s). A server that
# closes an idle keep-alive connection races the client's next request on it: the client
# sees the connection drop before any answer (measured: ~1% of requests at 100-300 req/s
# with a pooling client). Longer than the 60 s idle timeout of common load balancers, so
# the proxy in front, not the gateway, closes an idle connection first.
KEEP_ALIVE_S = 65


def build_app(config: ServeConfig) -> Any:
    """The FastAPI app for ``config`` (policy read once, here)."""
    from aisec.core.policy import active_policy, load_policy
    from aisec.core.store import open_store
    from aisec.gateway._admin import mount_admin
    from aisec.gateway._app import create_app
    from aisec.gateway._identity import gateway_identity
    from aisec.gateway._settings import GatewaySettings

    policy = load_policy(Path(config.policy)) if config.policy else active_policy()
    settings = GatewaySettings.from_policy(policy, upstream=config.upstream, demo=config.demo)
    if not settings.routes:
        raise ConfigError(
            "gateway: no routes: add gateway.routes to the policy, or pass --upstream URL "
            "(or --demo)"
        )
    store = open_store()
    identity = gateway_identity(policy, store)
    identity.authorizer.bind_routes(settings.route_name)
    app = create_app(settings, identity.authenticator, identity.authorizer, identity.limiter)
    mount_admin(app, identity.keys, policy, api_keys=identity.authenticator.api_keys)
    settle_heap()
    return app


def settle_heap() -> None:
    """Move everything loaded at start-up (modules, the guard's model and patterns, the
    app) out of the garbage collector's reach: a full collection over it took ~100 ms of
    one request's time every few seconds under load. Objects made later are collected as
    usual. Call once, after the app is built."""
    gc.collect()
    gc.freeze()


def app_from_env() -> Any:
    """uvicorn factory for worker processes."""
    raw = os.environ.get(ENV)
    if not raw:
        raise ConfigError(f"gateway: {ENV} is not set (start the gateway with 'aisec up')")
    _install_audit_redactor()
    return build_app(ServeConfig(**json.loads(raw)))


def _install_audit_redactor() -> None:
    """Worker processes of ``--workers N`` start here, not through the CLI that installs the
    audit redactor: give their audit log the same secret redaction (the audit log fails
    closed if it raises). A process that already has one keeps it."""
    from aisec.core.audit import set_redactor
    from aisec.guard import redact_secrets

    with suppress(ConfigError):
        set_redactor(redact_secrets)


def config_env(config: ServeConfig) -> str:
    return json.dumps(asdict(config))


def start_echo(host: str = "127.0.0.1") -> tuple[str, Any]:
    """Serve the demo echo upstream on a free port in a thread; returns (base URL, server)."""
    import uvicorn

    from aisec.gateway._echo import echo_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(echo_app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise ConfigError("gateway: the demo echo upstream did not start")
        time.sleep(0.01)
    return f"http://{host}:{port}/v1", server
