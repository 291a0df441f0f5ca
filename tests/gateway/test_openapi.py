"""Schemathesis against the gateway's own OpenAPI document, over real HTTP: no 5xx.

The upstream is the demo echo upstream (a well-behaved one: a 502 from a misbehaving
upstream would be the gateway doing its job, not a bug this test looks for).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from aisec.core.policy import parse_policy
from aisec.gateway import GatewaySettings, create_app
from aisec.gateway._echo import echo_app
from conftest import KEY, identity, serve


@pytest.fixture
def api_schema() -> Iterator[Any]:
    stop: list[tuple[uvicorn.Server, threading.Thread]] = []
    up_server, up_thread, up_url = serve(echo_app())
    stop.append((up_server, up_thread))
    policy = parse_policy(
        {"gateway": {"routes": [{"name": "echo", "models": ["*"], "upstream": up_url + "/v1"}]}}
    )
    keys, models, limiter = identity()
    app = create_app(GatewaySettings.from_policy(policy), keys, models, limiter)
    server, thread, url = serve(app)
    stop.append((server, thread))
    yield schemathesis.openapi.from_url(url + "/openapi.json")
    for s, t in stop:
        s.should_exit = True
        t.join(15)


def test_openapi_document_names_every_endpoint(api_schema: Any) -> None:
    paths = set(api_schema.raw_schema["paths"])
    assert {
        "/v1/chat/completions",
        "/v1/completions",
        "/v1/embeddings",
        "/v1/models",
        "/v1/guard/scan",
        "/healthz",
        "/readyz",
        "/metrics",
    } <= paths
    chat = api_schema.raw_schema["paths"]["/v1/chat/completions"]["post"]
    assert chat["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ChatRequest"
    )


def test_no_server_errors(api_schema: Any) -> None:
    # schemathesis' pytest plugin does not load on this pytest; drive its strategies directly
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {KEY}"},
                checks=[not_a_server_error],
                timeout=20,
            )

        run()
