"""Tool calls the model returns are checked against the guard's ``guard.tools`` policy
before any part of them reaches the client (a misbehaving upstream over real HTTP)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from conftest import KEY, Gateway, Upstream, policy_for

AUTH = {"Authorization": f"Bearer {KEY}"}
TOOLS = {
    "allow": [
        {
            "name": "send_mail",
            "args": {"to": {"type": "text", "required": True}, "body": {"type": "text"}},
        },
        {"name": "read_file", "args": {"path": {"type": "path", "roots": ["/srv/data"]}}},
    ]
}


def _gateway(make_gateway: Callable[..., Gateway], upstream: Upstream, **route: Any) -> Gateway:
    policy = policy_for(upstream.url, **route)
    policy["guard"] = {"tools": TOOLS}
    return make_gateway(policy)


def _call(gw: Gateway, stream: bool = False) -> httpx.Response:
    body = {
        "model": "scripted-tools",
        "stream": stream,
        "messages": [{"role": "user", "content": "mail the ops team"}],
    }
    return httpx.post(gw.base + "/chat/completions", json=body, headers=AUTH, timeout=10)


def _stream_events(resp: httpx.Response) -> list[dict[str, Any]]:
    assert resp.status_code == 200
    return [json.loads(line[6:]) for line in resp.text.splitlines() if line.startswith("data: {")]


def test_allowed_tool_call_passes(make_gateway: Callable[..., Gateway], upstream: Upstream) -> None:
    gw = _gateway(make_gateway, upstream)
    upstream.script = ['{"to": "ops", "body": "hello"}']
    resp = _call(gw)
    assert resp.status_code == 200
    call = resp.json()["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "send_mail"
    assert json.loads(call["function"]["arguments"]) == {"to": "ops", "body": "hello"}


def test_tool_not_on_allowlist_is_blocked(
    make_gateway: Callable[..., Gateway], upstream: Upstream
) -> None:
    gw = _gateway(make_gateway, upstream)
    upstream.tool_name = "delete_everything"
    upstream.script = ["{}"]
    resp = _call(gw)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "guard_tool_denied"
    assert "guard-tools-not-allowed" in error["message"]
    assert error["param"] == "choices[0].message.tool_calls[0]"


def test_tool_path_traversal_argument_is_blocked(
    make_gateway: Callable[..., Gateway], upstream: Upstream
) -> None:
    gw = _gateway(make_gateway, upstream)
    upstream.tool_name = "read_file"
    upstream.script = ['{"path": "/srv/data/../../etc/shadow"}']
    resp = _call(gw)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "guard_tool_denied"
    assert "guard-tools-path-traversal" in resp.json()["error"]["message"]


def test_tool_undeclared_argument_is_blocked(
    make_gateway: Callable[..., Gateway], upstream: Upstream
) -> None:
    gw = _gateway(make_gateway, upstream)
    upstream.script = ['{"to": "ops", "bcc": "attacker@example.com"}']
    resp = _call(gw)
    assert resp.status_code == 400
    assert "guard-tools-undeclared" in resp.json()["error"]["message"]


def test_tool_malformed_arguments_are_blocked(
    make_gateway: Callable[..., Gateway], upstream: Upstream
) -> None:
    gw = _gateway(make_gateway, upstream)
    upstream.script = ['{"to": "ops", "to": "attacker"}']
    resp = _call(gw)
    assert resp.status_code == 400
    assert "guard-tools-duplicate-key" in resp.json()["error"]["message"]


def test_legacy_function_call_not_on_allowlist_is_blocked(
    make_gateway: Callable[..., Gateway], upstream: Upstream
) -> None:
    gw = _gateway(make_gateway, upstream)
    upstream.legacy_function_call = True
    upstream.tool_name = "run_shell"
    upstream.script = ['{"cmd": "id"}']
    resp = _call(gw)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["param"] == "choices[0].message.function_call"
    assert "guard-tools-not-allowed" in error["message"]


def test_streamed_tool_not_on_allowlist_ends_stream_before_any_part_leaves(
    make_gateway: Callable[..., Gateway], upstream: Upstream
) -> None:
    gw = _gateway(make_gateway, upstream)
    upstream.tool_name = "delete_everything"
    upstream.script = ['{"target": ', '"/"}']
    resp = _call(gw, stream=True)
    assert b"delete_everything" not in resp.content
    assert b"target" not in resp.content
    assert b"[DONE]" not in resp.content
    errors = [e["error"] for e in _stream_events(resp) if "error" in e]
    assert [e["code"] for e in errors] == ["guard_tool_denied"]
    assert "guard-tools-not-allowed" in errors[0]["message"]


def test_streamed_tool_argument_split_across_chunks_is_checked_whole(
    make_gateway: Callable[..., Gateway], upstream: Upstream
) -> None:
    gw = _gateway(make_gateway, upstream)
    upstream.tool_name = "read_file"
    upstream.script = ['{"path": "/srv/da', "ta/..", '/../etc/passwd"}']
    resp = _call(gw, stream=True)
    assert b"passwd" not in resp.content
    errors = [e["error"] for e in _stream_events(resp) if "error" in e]
    assert [e["code"] for e in errors] == ["guard_tool_denied"]
    assert "guard-tools-path-traversal" in errors[0]["message"]


def test_streamed_allowed_tool_call_arrives_whole(
    make_gateway: Callable[..., Gateway], upstream: Upstream
) -> None:
    gw = _gateway(make_gateway, upstream)
    upstream.script = ['{"to": "o', 'ps", "body": "hi"}']
    resp = _call(gw, stream=True)
    calls = [
        call
        for event in _stream_events(resp)
        for choice in event.get("choices", ())
        for call in (choice.get("delta") or {}).get("tool_calls") or ()
    ]
    assert len(calls) == 1
    assert calls[0]["function"]["name"] == "send_mail"
    assert calls[0]["id"] == "call_1"
    assert json.loads(calls[0]["function"]["arguments"]) == {"to": "ops", "body": "hi"}
    assert resp.content.endswith(b"data: [DONE]\n\n")


def test_tool_allowed_on_another_route_only_is_blocked(
    make_gateway: Callable[..., Gateway], upstream: Upstream
) -> None:
    policy = policy_for(upstream.url)
    policy["guard"] = {"tools": {"allow": [{"name": "send_mail", "routes": ["other"]}]}}
    gw = make_gateway(policy)
    upstream.script = ["{}"]
    resp = _call(gw)
    assert resp.status_code == 400
    assert "guard-tools-route-denied" in resp.json()["error"]["message"]
