"""Canary tokens: a route with ``canary: true`` gets a fresh token in the system prompt, and
an answer that leaks it is blocked, also split across SSE chunks or encoded.

The test upstream's 'canary-echo' models answer with the system prompt they received (as a
model talked into dumping its instructions would); tests read the token from that request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aisec.core.errors import PolicyError
from aisec.core.policy import parse_policy
from aisec.gateway import GatewaySettings, create_app
from aisec.guard import Engine
from conftest import KEY, Gateway, Upstream, identity, policy_for

AUTH = {"Authorization": f"Bearer {KEY}"}
CANARY = re.compile(r"cnry-[0-9a-f]{16}")
USER = {"role": "user", "content": "hi"}


def _chat(gw: Gateway, messages: list[dict[str, Any]], model: str = "echo") -> httpx.Response:
    body = {"model": model, "messages": messages}
    return httpx.post(gw.base + "/chat/completions", json=body, headers=AUTH, timeout=10)


def _stream(gw: Gateway, model: str) -> bytes:
    body = {"model": model, "stream": True, "messages": [USER]}
    with httpx.stream(
        "POST", gw.base + "/chat/completions", json=body, headers=AUTH, timeout=10
    ) as resp:
        assert resp.status_code == 200
        return b"".join(resp.iter_raw())


def _canary_sent(upstream: Upstream) -> str:
    system = upstream.bodies[-1]["messages"][0]
    assert system["role"] == "system"
    found = CANARY.search(json.dumps(system["content"]))
    assert found is not None
    return found.group(0)


@pytest.fixture
def canary_gw(make_gateway: Callable[..., Gateway], upstream: Upstream) -> Gateway:
    return make_gateway(policy_for(upstream.url, canary=True))


def test_canary_is_inserted_into_the_system_prompt(canary_gw: Gateway, upstream: Upstream) -> None:
    resp = _chat(canary_gw, [{"role": "system", "content": "You are terse."}, USER])
    assert resp.status_code == 200
    first = _canary_sent(upstream)
    assert upstream.bodies[-1]["messages"][0]["content"].endswith("You are terse.")
    assert len(upstream.bodies[-1]["messages"]) == 2
    assert _chat(canary_gw, [USER]).status_code == 200  # no system prompt: one is added
    assert upstream.bodies[-1]["messages"][1] == USER
    assert _canary_sent(upstream) != first  # a fresh token per request


def test_canary_goes_into_a_system_prompt_made_of_parts(
    canary_gw: Gateway, upstream: Upstream
) -> None:
    system = {"role": "system", "content": [{"type": "text", "text": "Rules."}]}
    assert _chat(canary_gw, [system, USER]).status_code == 200
    parts = upstream.bodies[-1]["messages"][0]["content"]
    assert parts[-1] == {"type": "text", "text": "Rules."}
    assert CANARY.search(parts[0]["text"])


def test_no_canary_unless_the_route_asks(gateway: Gateway, upstream: Upstream) -> None:
    assert _chat(gateway, [{"role": "system", "content": "S"}, USER]).status_code == 200
    assert not CANARY.search(json.dumps(upstream.bodies[-1]))


def test_canary_leak_in_answer_is_blocked(canary_gw: Gateway, upstream: Upstream) -> None:
    resp = _chat(canary_gw, [{"role": "system", "content": "Secret rules."}, USER], "canary-echo")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "guard_output_blocked"
    assert _canary_sent(upstream) not in resp.text


def test_canary_leak_split_across_sse_chunks_is_blocked(
    canary_gw: Gateway, upstream: Upstream
) -> None:
    raw = _stream(canary_gw, "canary-echo")  # the prompt comes back in 7-character chunks
    canary = _canary_sent(upstream)
    assert canary[5:].encode() not in raw
    assert canary[12:].encode() not in raw
    events = [json.loads(ln[6:]) for ln in raw.decode().splitlines() if ln.startswith("data: {")]
    assert [e["error"]["code"] for e in events if "error" in e] == ["guard_output_blocked"]
    assert not raw.endswith(b"data: [DONE]\n\n")


def test_canary_leak_encoded_in_base64_is_blocked(canary_gw: Gateway) -> None:
    resp = _chat(canary_gw, [USER], "canary-echo-b64")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "guard_output_blocked"


def test_canary_leak_blocks_even_when_the_leak_scanner_only_detects(
    make_gateway: Callable[..., Gateway], upstream: Upstream
) -> None:
    policy = policy_for(upstream.url, canary=True)
    policy["guard"] = {"scanners": [{"name": "system_prompt_leak", "mode": "detect"}]}
    gw = make_gateway(policy)
    resp = _chat(gw, [USER], "canary-echo")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "guard_output_blocked"


def test_canary_route_refuses_to_start_without_the_leak_scanner(upstream: Upstream) -> None:
    policy = policy_for(upstream.url, canary=True)
    policy["guard"] = {"scanners": [{"name": "secrets", "mode": "redact"}]}
    parsed = parse_policy(policy)
    keys, models, limiter = identity()
    with pytest.raises(PolicyError, match="system_prompt_leak"):
        create_app(GatewaySettings.from_policy(parsed), keys, models, limiter, Engine(parsed.guard))
