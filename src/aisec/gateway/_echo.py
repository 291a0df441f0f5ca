"""The demo upstream of ``aisec up --demo``: echoes the last user message back, no model.

Every response carries ``X-Aisec-Demo`` so nobody mistakes it for a model. It speaks the
OpenAI API (chat with and without streaming, completions, embeddings, models) so a
newcomer can send a first request through the gateway with nothing else installed.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = ["DEMO_MODELS", "echo_app"]

DEMO_MODELS = ("demo-echo",)
_HEADERS = {"X-Aisec-Demo": "echo upstream: a demo, not a model"}
_MAX = 1 << 20


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


async def _body(request: Request) -> dict[str, Any] | None:
    raw = await request.body()
    if len(raw) > _MAX:
        return None
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def _bad() -> Response:
    doc = {
        "error": {
            "message": "bad request",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    return JSONResponse(doc, status_code=400, headers=_HEADERS)


async def chat(request: Request) -> Response:
    body = await _body(request)
    if body is None:
        return _bad()
    text = "echo: " + _last_user_text(body)
    model = str(body.get("model", "demo-echo"))[:256]
    created = int(time.time())
    if body.get("stream"):

        async def events() -> AsyncIterator[bytes]:
            words = text.split(" ")
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                chunk = {
                    "id": "chatcmpl-demo",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
                yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
            end = {
                "id": "chatcmpl-demo",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            yield b"data: " + json.dumps(end).encode() + b"\n\ndata: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers=_HEADERS)
    n = len(text.split())
    doc = {
        "id": "chatcmpl-demo",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
        "usage": {"prompt_tokens": n, "completion_tokens": n, "total_tokens": 2 * n},
    }
    return JSONResponse(doc, headers=_HEADERS)


async def completions(request: Request) -> Response:
    body = await _body(request)
    if body is None:
        return _bad()
    prompt = body.get("prompt")
    text = "echo: " + (prompt if isinstance(prompt, str) else json.dumps(prompt))
    if body.get("stream"):
        model = str(body.get("model", "demo-echo"))[:256]

        async def events() -> AsyncIterator[bytes]:
            for piece, finish in ((text, None), ("", "stop")):
                chunk = {
                    "id": "cmpl-demo",
                    "object": "text_completion",
                    "model": model,
                    "choices": [{"index": 0, "text": piece, "finish_reason": finish}],
                }
                yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers=_HEADERS)
    doc = {
        "id": "cmpl-demo",
        "object": "text_completion",
        "created": int(time.time()),
        "model": str(body.get("model", "demo-echo"))[:256],
        "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
    }
    return JSONResponse(doc, headers=_HEADERS)


async def embeddings(request: Request) -> Response:
    body = await _body(request)
    if body is None:
        return _bad()
    inputs = body.get("input")
    items = inputs if isinstance(inputs, list) else [inputs]
    data = []
    for i, item in enumerate(items):
        digest = hashlib.sha256(str(item).encode()).digest()
        data.append(
            {"object": "embedding", "index": i, "embedding": [b / 255.0 for b in digest[:8]]}
        )
    return JSONResponse({"object": "list", "data": data, "model": "demo-echo"}, headers=_HEADERS)


async def models(_request: Request) -> Response:
    data = [{"id": m, "object": "model", "owned_by": "aisec-demo"} for m in DEMO_MODELS]
    return JSONResponse({"object": "list", "data": data}, headers=_HEADERS)


def echo_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/completions", completions, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ]
    )
