"""One bounded chat-completion call to an OpenAI-compatible target.

Every call has a total deadline (not only a read timeout: a server that drips bytes or
streams forever is cut off), a response size cap, and a verdict: ``ok`` (a reply),
``blocked`` (the target or a gateway in front of it refused the request: HTTP 400/403
with a guard/content-filter code, or ``finish_reason: content_filter``) or ``error``
(timeout, connection failure, 5xx, 429, non-JSON, a body of the wrong shape).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from aisec.redteam._detectors import ToolCall

__all__ = ["RateLimiter", "Reply", "Target"]

MAX_RESPONSE_BYTES = 1024 * 1024
_BLOCK_WORDS = ("guard", "block", "content_filter", "content_policy", "moderation", "safety")


@dataclass(frozen=True, slots=True)
class Reply:
    verdict: str  # ok | blocked | error
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    error: str = ""
    status: int | None = None
    message: dict[str, Any] = field(default_factory=dict)


class RateLimiter:
    """At most ``rate`` request starts per second, spread evenly (0 = no limit)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)


class Target:
    """An OpenAI-compatible ``/chat/completions`` endpoint."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None,
        model: str,
        timeout_s: float,
        limiter: RateLimiter,
        client: httpx.AsyncClient,
    ) -> None:
        base = url.rstrip("/")
        self.url = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout_s
        self._limiter = limiter
        self._client = client

    async def chat(
        self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] = ()
    ) -> Reply:
        await self._limiter.wait()
        body: dict[str, Any] = {"model": self.model, "messages": list(messages)}
        if tools:
            body["tools"] = [{"type": "function", "function": t} for t in tools]
        try:
            return await asyncio.wait_for(self._post(body), self._timeout)
        except TimeoutError:
            return Reply("error", error=f"timeout after {self._timeout:g} s")
        except httpx.HTTPError as exc:
            return Reply("error", error=f"{type(exc).__name__}: {str(exc)[:200]}")

    async def _post(self, body: dict[str, Any]) -> Reply:
        async with self._client.stream("POST", self.url, json=body, headers=self._headers) as resp:
            data = bytearray()
            async for chunk in resp.aiter_bytes():
                data += chunk
                if len(data) > MAX_RESPONSE_BYTES:
                    return Reply("error", error="response over 1 MiB", status=resp.status_code)
            return _verdict(resp.status_code, bytes(data))


def _verdict(status: int, data: bytes) -> Reply:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        doc = None
    if status in (400, 403, 422) and isinstance(doc, dict):
        err = doc.get("error")
        code = ""
        if isinstance(err, dict):
            code = " ".join(str(err.get(k, "")) for k in ("code", "type"))[:200].lower()
        if any(w in code for w in _BLOCK_WORDS):
            why = str(err.get("message", ""))[:160] if isinstance(err, dict) else ""
            return Reply("blocked", error=f"{code.strip()}: {why}", status=status)
    if status >= 400:
        return Reply("error", error=f"HTTP {status}", status=status)
    if not isinstance(doc, dict):
        return Reply("error", error="reply is not JSON", status=status)
    choices = doc.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return Reply("error", error="reply has no choices", status=status)
    message = choices[0].get("message")
    if not isinstance(message, dict):
        return Reply("error", error="reply has no message", status=status)
    if choices[0].get("finish_reason") == "content_filter":
        return Reply("blocked", error="finish_reason content_filter", status=status)
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    return Reply("ok", text=text, tool_calls=_tool_calls(message), status=status, message=message)


def _tool_calls(message: dict[str, Any]) -> tuple[ToolCall, ...]:
    raw: list[Any] = []
    if isinstance(message.get("tool_calls"), list):
        raw = [c.get("function") for c in message["tool_calls"] if isinstance(c, dict)]
    if isinstance(message.get("function_call"), dict):
        raw.append(message["function_call"])
    calls = []
    for fn in raw[:64]:
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            continue
        args: Any = fn.get("arguments", "")
        if isinstance(args, str):
            with contextlib.suppress(json.JSONDecodeError):
                args = json.loads(args) if len(args) <= 65536 else args
        calls.append(ToolCall(fn["name"], args))
    return tuple(calls)
