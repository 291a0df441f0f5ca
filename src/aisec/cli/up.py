"""``aisec up``: start the gateway (OpenAI-compatible, guarded, audited)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from aisec.monitor import MonitorSchedule


def banner(url: str, key: str, model: str, demo_upstream: str | None) -> str:
    """What ``aisec up`` prints: where it listens, and a curl and openai snippet to paste."""
    lines = [f"aisec gateway listening on {url}"]
    if demo_upstream:
        lines.append(
            f"DEMO: model calls go to a local echo upstream at {demo_upstream} "
            "(no model; every response carries an X-Aisec-Demo header)"
        )
    lines += [
        "",
        "Try it (curl):",
        f"  curl -s {url}/v1/chat/completions \\",
        f"    -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\",
        f'    -d \'{{"model": "{model}", "messages": '
        '[{"role": "user", "content": "Hello, gateway"}]}\'',
        "",
        "Try it (Python, pip install openai):",
        "  from openai import OpenAI",
        f'  client = OpenAI(base_url="{url}/v1", api_key="{key}")',
        f'  r = client.chat.completions.create(model="{model}",',
        '      messages=[{"role": "user", "content": "Hello, gateway"}])',
        "  print(r.choices[0].message.content)",
        "",
        f"Admin API: {url}/admin/decisions (a key whose principal has the admin role)",
        f"Metrics: {url}/metrics   Ready: {url}/readyz   OpenAPI: {url}/openapi.json",
    ]
    return "\n".join(lines)


def _schedule(policy_path: str | None) -> MonitorSchedule | None:
    """The monitor, every ``monitor.interval_s`` seconds, in this process (one per
    replica, however many workers serve requests)."""
    from pathlib import Path

    from aisec.core.policy import Policy, active_policy, load_policy
    from aisec.monitor import start_schedule

    policy = load_policy(Path(policy_path)) if policy_path else active_policy()
    return start_schedule(policy or Policy())


def register(app: typer.Typer) -> None:
    @app.command("up")
    def up(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8700,
        workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
        policy: Annotated[
            str | None, typer.Option(help="Policy file (default: ./aisec.yaml if present).")
        ] = None,
        upstream: Annotated[
            str | None,
            typer.Option(
                help="OpenAI-compatible base URL serving every model (one route); its key, "
                "if it needs one, from $AISEC_UPSTREAM_API_KEY."
            ),
        ] = None,
        demo: Annotated[
            bool,
            typer.Option(
                "--demo",
                help="Print a demo API key; with no --upstream also start a local echo upstream.",
            ),
        ] = False,
    ) -> None:
        """Start the AI gateway: authenticate, limit, guard and audit every model call.

        Example: aisec up --demo
        """
        import uvicorn

        from aisec.gateway import (
            CONFIG_ENV,
            KEEP_ALIVE_S,
            MULTIPROC_ENV,
            ServeConfig,
            build_app,
            config_env,
            create_key,
            start_echo,
        )

        echo_url = None
        key = "<your API key: aisec access apikey create --principal NAME>"
        if demo:
            # a real key in the API-key store (hashed there, shown once here), for one day
            from datetime import UTC, datetime, timedelta

            expires = datetime.now(UTC) + timedelta(days=1)
            key, _ = create_key(
                "demo", models=["demo-echo"] if upstream is None else None, expires=expires
            )
            if upstream is None:  # the echo upstream only where no real one is given
                echo_url, _echo = start_echo()
                upstream = echo_url
        config = ServeConfig(
            policy=policy,
            upstream=upstream,
            demo=echo_url is not None,  # the X-Aisec-Demo header says "echo upstream"
        )
        app = build_app(config)  # fail fast on a bad policy, before any worker starts
        url = f"http://{host}:{port}"
        model = "demo-echo" if echo_url else "MODEL"
        sys.stdout.write(banner(url, key, model, echo_url) + "\n")
        sys.stdout.flush()
        metrics_dir = None
        if workers > 1:
            os.environ[CONFIG_ENV] = config_env(config)
            target: object = "aisec.gateway:app_from_env"
            if not os.environ.get(MULTIPROC_ENV):  # workers add up their metrics in here
                metrics_dir = tempfile.mkdtemp(prefix="aisec-metrics-")
                os.environ[MULTIPROC_ENV] = metrics_dir
        else:
            target = app
        schedule = _schedule(policy)
        try:
            uvicorn.run(
                target,  # type: ignore[arg-type]
                factory=workers > 1,
                workers=workers if workers > 1 else None,
                host=host,
                port=port,
                log_level="warning",
                timeout_graceful_shutdown=30,  # drain in-flight streams on SIGTERM/SIGINT
                server_header=False,
                timeout_keep_alive=KEEP_ALIVE_S,
            )
        finally:
            if schedule is not None:
                schedule.stop()
            if metrics_dir is not None:
                shutil.rmtree(metrics_dir, ignore_errors=True)
