"""The auth matrix over real HTTP: ``create_app`` with the real ``gateway_identity`` (API-key
store, policy authorizer, limiter) on loopback. Every refusal is OpenAI's error shape with
the reason code in ``code``; nothing refused reaches the upstream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from conftest import Live

ACCESS = {
    "default_models": ["public-*"],
    "principals": [
        {
            "name": "app1",
            "models": ["gpt-4o", "llama3*", "scripted-tools"],
            "tools": ["search", "calc"],
        }
    ],
    "tenants": [
        {
            "name": "acme",
            "models": ["gpt-*", "llama3*", "scripted-tools"],
            "tools": ["search", "calc"],
        },
        {"name": "globex", "models": ["llama3*"], "tools": ["search"]},
    ],
}


@pytest.fixture
def live(make_live: Callable[..., Live]) -> Live:
    return make_live({"gateway_auth": ACCESS})


def _refused(resp: httpx.Response, status: int, code: str, kind: str) -> None:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["code"], error["type"]) == (code, kind)


def test_valid_key_is_served(live: Live) -> None:
    key, _ = live.keys.create("app1", tenant="acme")
    assert live.chat(authorization=f"Bearer {key}").status_code == 200
    assert len(live.upstream.bodies) == 1


def test_no_key_is_refused_over_http(live: Live) -> None:
    _refused(live.chat(), 401, "credentials_missing", "authentication_error")
    _refused(live.chat(authorization=""), 401, "credentials_missing", "authentication_error")
    assert live.upstream.bodies == []


def test_bad_key_is_refused_over_http(live: Live) -> None:
    key, stored = live.keys.create("app1", tenant="acme")
    flipped = key[:-1] + ("A" if key[-1] != "A" else "B")
    _refused(
        live.chat(authorization=f"Bearer {flipped}"), 401, "key_invalid", "authentication_error"
    )
    forged = key.replace(stored.prefix, "0123456789ab")
    _refused(
        live.chat(authorization=f"Bearer {forged}"), 401, "key_invalid", "authentication_error"
    )
    _refused(
        live.chat(authorization="Bearer aisec_xyz"), 401, "key_malformed", "authentication_error"
    )
    _refused(
        live.chat(authorization=f"Basic {key}"),
        401,
        "credentials_malformed",
        "authentication_error",
    )
    assert live.upstream.bodies == []


def test_revoked_key_is_refused_over_http(live: Live) -> None:
    key, stored = live.keys.create("app1", tenant="acme")
    live.keys.revoke(stored.prefix)
    _refused(live.chat(authorization=f"Bearer {key}"), 401, "key_revoked", "authentication_error")
    assert live.upstream.bodies == []


def test_expired_key_is_refused_over_http(live: Live) -> None:
    past = datetime.now(UTC) - timedelta(days=2)
    key, _ = live.keys.create("app1", tenant="acme", expires=past + timedelta(days=1), now=past)
    _refused(live.chat(authorization=f"Bearer {key}"), 401, "key_expired", "authentication_error")
    assert live.upstream.bodies == []


def test_wrong_model_for_principal_is_refused_over_http(live: Live) -> None:
    key, _ = live.keys.create("app1", tenant="acme")
    resp = live.chat("gpt-4o-mini", f"Bearer {key}")
    _refused(resp, 403, "model_not_allowed", "permission_error")
    assert live.upstream.bodies == []


def test_wrong_model_for_key_is_refused_over_http(live: Live) -> None:
    key, _ = live.keys.create("app1", tenant="acme", models=["llama3*"])
    _refused(
        live.chat("gpt-4o", f"Bearer {key}"), 403, "model_not_allowed_for_key", "permission_error"
    )
    assert live.chat("llama3-8b", f"Bearer {key}").status_code == 200


def test_wrong_tenant_is_refused_over_http(live: Live) -> None:
    key, _ = live.keys.create("app1", tenant="globex")
    _refused(
        live.chat("gpt-4o", f"Bearer {key}"),
        403,
        "model_not_allowed_for_tenant",
        "permission_error",
    )
    other, _ = live.keys.create("app1", tenant="initech")
    _refused(live.chat("gpt-4o", f"Bearer {other}"), 403, "tenant_not_allowed", "permission_error")
    assert live.upstream.bodies == []


def _chat_with_tools(live: Live, key: str, **extra: Any) -> httpx.Response:
    body = {"model": "llama3-8b", "messages": [{"role": "user", "content": "hi"}], **extra}
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.post(live.url + "/v1/chat/completions", json=body, headers=headers)


def _tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


def test_tool_not_allowed_for_principal_is_refused_over_http(live: Live) -> None:
    key, _ = live.keys.create("app1", tenant="acme")
    ok = _chat_with_tools(live, key, tools=[_tool("search")])
    assert ok.status_code == 200
    resp = _chat_with_tools(live, key, tools=[_tool("search"), _tool("shell")])
    _refused(resp, 403, "tool_not_allowed", "permission_error")
    assert len(live.upstream.bodies) == 1


def test_legacy_functions_field_cannot_bypass_tool_authorization(live: Live) -> None:
    key, _ = live.keys.create("app1", tenant="acme")
    resp = _chat_with_tools(live, key, functions=[{"name": "shell", "parameters": {}}])
    _refused(resp, 403, "tool_not_allowed", "permission_error")
    resp = _chat_with_tools(live, key, functions="shell")
    _refused(resp, 400, "invalid_request", "invalid_request_error")
    assert live.upstream.bodies == []


def test_tool_not_allowed_for_tenant_is_refused_over_http(live: Live) -> None:
    key, _ = live.keys.create("app1", tenant="globex")
    resp = _chat_with_tools(live, key, tools=[_tool("calc")])
    _refused(resp, 403, "tool_not_allowed_for_tenant", "permission_error")


def test_model_calling_a_tool_the_caller_may_not_use_is_refused(live: Live) -> None:
    key, _ = live.keys.create("app1", tenant="acme")
    live.upstream.tool_name = "shell"
    live.upstream.script = ['{"cmd": "id"}']
    body = {"model": "scripted-tools", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {key}"}
    resp = httpx.post(live.url + "/v1/chat/completions", json=body, headers=headers)
    _refused(resp, 403, "tool_not_allowed", "permission_error")
    assert resp.json()["error"]["param"] == "choices[0].message.tool_calls[0]"


def test_route_not_allowed_is_refused_over_http_and_hidden_from_models(
    make_live: Callable[..., Live], upstream: Any
) -> None:
    route = {"upstream": upstream.url, "timeout_s": 1.0}
    routes = [
        {"name": "premium", "models": ["gpt-*"], **route},
        {"name": "main", "models": ["*"], **route},
    ]
    access = {
        "principals": [{"name": "app1", "routes": ["main"]}],
        "tenants": [{"name": "acme", "routes": ["main"]}, {"name": "globex"}],
    }
    live = make_live({"gateway": {"routes": routes}, "gateway_auth": access})
    app1, _ = live.keys.create("app1", tenant="globex")
    _refused(live.chat("gpt-4o", f"Bearer {app1}"), 403, "route_not_allowed", "permission_error")
    assert live.chat("llama3-8b", f"Bearer {app1}").status_code == 200
    app2, _ = live.keys.create("app2", tenant="acme")
    _refused(
        live.chat("gpt-4o", f"Bearer {app2}"),
        403,
        "route_not_allowed_for_tenant",
        "permission_error",
    )
    assert len(live.upstream.bodies) == 1
    listed = httpx.get(live.url + "/v1/models", headers={"Authorization": f"Bearer {app1}"})
    names = [m["id"] for m in listed.json()["data"]]
    assert "echo" in names and "gpt-4o-mini" not in names  # gpt-* is served by premium
    other, _ = live.keys.create("app3", tenant="globex")
    everything = httpx.get(live.url + "/v1/models", headers={"Authorization": f"Bearer {other}"})
    assert "gpt-4o-mini" in [m["id"] for m in everything.json()["data"]]
