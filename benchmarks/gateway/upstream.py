"""A fast OpenAI-compatible upstream for the gateway benchmark (raw asyncio, keep-alive).

Answers every chat request with a fixed ~300-byte completion, or with 10 SSE chunks when
``stream`` is true. Usage: python upstream.py PORT
"""

from __future__ import annotations

import asyncio
import json
import sys

REPLY = "The quarterly report shows revenue grew in every region, led by the north. " * 2
DOC = json.dumps(
    {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "bench",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": REPLY},
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 30, "total_tokens": 50},
    }
).encode()
JSON_RESP = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(DOC)).encode()
    + b"\r\n\r\n"
    + DOC
)


def _sse() -> bytes:
    words = REPLY.split(" ")
    step = max(1, len(words) // 10)
    out = b""
    for i in range(0, len(words), step):
        piece = " ".join(words[i : i + step]) + " "
        chunk = {
            "id": "c1",
            "object": "chat.completion.chunk",
            "model": "bench",
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        out += b"data: " + json.dumps(chunk).encode() + b"\n\n"
    end = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "bench",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    out += b"data: " + json.dumps(end).encode() + b"\n\ndata: [DONE]\n\n"
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: "
        + str(len(out)).encode()
        + b"\r\n\r\n"
        + out
    )


SSE_RESP = _sse()
MODELS = b'{"object":"list","data":[{"id":"bench"}]}'
MODELS_RESP = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(MODELS)).encode()
    + b"\r\n\r\n"
    + MODELS
)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length) if length else b""
            if head.startswith(b"GET"):
                writer.write(MODELS_RESP)
            elif b'"stream":true' in body or b'"stream": true' in body:
                writer.write(SSE_RESP)
            else:
                writer.write(JSON_RESP)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1])))
