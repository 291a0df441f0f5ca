"""The lean HTTP/1.1 upstream transport against raw-socket servers on loopback.

Each test runs a small asyncio server whose answer it scripts byte by byte, so the
transport meets what a framework would not send: chunked and read-until-close bodies,
truncation, over-long heads, stalls, and a connection closed after an answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from aisec.gateway._upstream import LeanTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
TIMEOUTS = httpx.Timeout(2.0, connect=2.0).as_dict()


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


def run(handler: Handler, client: Callable[[LeanTransport, str], Awaitable[Any]], **kw: Any) -> Any:
    """Serve ``handler`` on a free port and run ``client`` with a fresh transport."""

    async def main() -> Any:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport = LeanTransport(**kw)
        try:
            return await client(transport, f"http://127.0.0.1:{port}/v1/chat/completions")
        finally:
            await transport.aclose()
            server.close()

    return asyncio.run(main())


async def post(transport: LeanTransport, url: str, **headers: str) -> tuple[int, bytes]:
    request = httpx.Request(
        "POST", url, content=b'{"model":"m"}', headers=headers, extensions={"timeout": TIMEOUTS}
    )
    response = await transport.handle_async_request(request)
    try:
        return response.status_code, await response.aread()
    finally:
        await response.aclose()


def test_keep_alive_connection_is_reused() -> None:
    connections: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                await _read_request(reader)
                writer.write(OK)
                await writer.drain()
        except asyncio.IncompleteReadError:
            writer.close()

    async def client(t: LeanTransport, url: str) -> list[tuple[int, bytes]]:
        return [await post(t, url) for _ in range(3)]

    assert run(handler, client) == [(200, b"{}")] * 3
    assert len(connections) == 1


def test_request_goes_out_with_host_and_length() -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _read_request(reader))
        writer.write(OK)
        await writer.drain()

    run(handler, lambda t, url: post(t, url, authorization="Bearer up"))
    head, _, body = seen[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/chat/completions HTTP/1.1"
    assert b"host: 127.0.0.1:" in head.lower()
    assert b"content-length: 13" in lines
    assert b"authorization: Bearer up" in lines
    assert body == b'{"model":"m"}'


def test_chunked_and_read_until_close_bodies() -> None:
    answers = [
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end",
    ]

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(answers.pop(0))
        await writer.drain()
        writer.close()

    async def client(t: LeanTransport, url: str) -> list[tuple[int, bytes]]:
        return [await post(t, url), await post(t, url)]

    assert run(handler, client) == [(200, b"abcde"), (200, b"until the end")]


def test_header_injection_is_refused_before_sending() -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.read(1000))
        writer.close()

    async def client(t: LeanTransport, url: str) -> None:
        request = httpx.Request("POST", url, content=b"{}", headers={"x-a": "ok"})
        request.headers["x-b"] = "v"  # then smuggle a CR LF into the raw header list
        request.headers._list[-1] = (b"x-b", b"x-b", b"v\r\nx-evil: 1")
        with pytest.raises(httpx.LocalProtocolError):
            await t.handle_async_request(request)

    run(handler, client)
    assert seen == []


def test_truncated_body_is_a_protocol_error_and_not_reused() -> None:
    connections: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await _read_request(reader)
        if len(connections) == 1:
            writer.write(b'HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{"partial')
        else:
            writer.write(OK)
        await writer.drain()
        writer.close()

    async def client(t: LeanTransport, url: str) -> tuple[int, bytes]:
        with pytest.raises(httpx.RemoteProtocolError):
            await post(t, url)
        return await post(t, url)

    assert run(handler, client) == (200, b"{}")
    assert len(connections) == 2


def test_over_long_response_head_is_refused() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\n" + b"x-filler: " + b"a" * 70_000 + b"\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)

    async def client(t: LeanTransport, url: str) -> None:
        with pytest.raises(httpx.RemoteProtocolError):
            await post(t, url)

    run(handler, client)


def test_stalled_upstream_times_out() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(5)

    async def client(t: LeanTransport, url: str) -> None:
        request = httpx.Request(
            "POST", url, content=b"{}", extensions={"timeout": httpx.Timeout(0.2).as_dict()}
        )
        with pytest.raises(httpx.ReadTimeout):
            await t.handle_async_request(request)

    run(handler, client)


def test_nothing_listening_is_a_connect_error() -> None:
    async def client(t: LeanTransport, url: str) -> None:
        with pytest.raises(httpx.ConnectError):
            await post(t, "http://127.0.0.1:9/v1/x")

    run(lambda r, w: asyncio.sleep(0), client)


def test_full_pool_waits_then_times_out() -> None:
    release = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        await writer.drain()
        await release.wait()  # the body never comes while the test holds the slot
        writer.close()

    async def client(t: LeanTransport, url: str) -> None:
        first = await t.handle_async_request(httpx.Request("POST", url, content=b"{}"))
        request = httpx.Request("POST", url, content=b"{}", extensions={"timeout": {"pool": 0.2}})
        with pytest.raises(httpx.PoolTimeout):
            await t.handle_async_request(request)
        release.set()
        await first.aclose()

    run(handler, client, max_connections=1)


def test_response_closed_before_its_end_closes_the_connection() -> None:
    connections: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                await _read_request(reader)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def client(t: LeanTransport, url: str) -> None:
        for _ in range(2):
            response = await t.handle_async_request(httpx.Request("POST", url, content=b"{}"))
            await response.aclose()  # 5 of 10 bytes read: the connection cannot be reused

    run(handler, client)
    assert len(connections) == 2


def test_https_is_not_spoken() -> None:
    async def client(t: LeanTransport, url: str) -> None:
        with pytest.raises(httpx.UnsupportedProtocol):
            await t.handle_async_request(httpx.Request("POST", "https://example.invalid/"))

    run(lambda r, w: asyncio.sleep(0), client)
