"""A lean HTTP/1.1 transport for plain-``http://`` upstreams (httpx's transport API).

httpx's client and httpcore's pool cost ~1.4 ms of CPU a request on the development
machine (h11 in pure Python, anyio cancel scopes, the client's cookie/auth/redirect
layers), more than the whole gateway may add. This transport keeps httpx's request,
response and exception types (so the gateway handles every upstream the same way) but
speaks HTTP/1.1 itself: one ``asyncio.Protocol`` per keep-alive connection, responses
parsed by httptools (the C parser uvicorn uses), the request head and body in one write.
``https://`` upstreams keep httpx's own transport (TLS, HTTP/2).

Limits: at most ``max_connections`` requests in flight (more wait up to the pool
timeout), ``max_idle`` idle connections, an idle connection older than
``keepalive_s`` is closed instead of reused, response heads over 64 KiB or 256 header
lines are refused, a body buffered past 256 KiB pauses reading (backpressure). A response
that was not read to its end (cancelled, failed, closed early) closes its connection.
"""

from __future__ import annotations

import asyncio
import select
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import cast

import httptools
import httpx

__all__ = ["LeanTransport", "finish_head", "request_head"]

_MAX_HEAD = 64 << 10
_MAX_HEADERS = 256
_HIGH_WATER = 256 << 10


class _Conn(asyncio.Protocol):
    """One upstream connection and the response being read on it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.lost = False  # the peer closed, or the connection failed
        self.error: str | None = None
        self.idle_since = 0.0
        self.in_use = False
        self._start()

    def _start(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_size = 0
        self.head_done = False
        self.keep_alive = False
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.complete = False
        self.paused = False
        self.waiter: asyncio.Future[None] | None = None
        self.until_close = True  # no Content-Length, not chunked: the body ends with EOF

    # -- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a TCP connection

    def data_received(self, data: bytes) -> None:
        if not self.in_use:  # bytes nobody asked for: the connection is out of step
            self._fail("unexpected data from the upstream")
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(f"invalid HTTP response: {type(exc).__name__}")
        self._wake()

    def eof_received(self) -> bool:
        self.lost = True
        if self.head_done and self.until_close and not self.complete:
            self.complete = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._wake()

    # -- httptools callbacks --------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value) + 4
        if self.head_size > _MAX_HEAD or len(self.headers) >= _MAX_HEADERS:
            raise httptools.HttpParserError("response head too large")
        self.headers.append((name, value))
        lower = name.lower()
        if lower == b"content-length" or (
            lower == b"transfer-encoding" and b"chunked" in value.lower()
        ):
            self.until_close = False

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()  # only valid before the body
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        self.complete = True

    # -- helpers ----------------------------------------------------------------------------
    def _fail(self, why: str) -> None:
        self.error = self.error or why
        self.lost = True
        if self.transport is not None:
            self.transport.close()
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, timeout: float | None, what: type[httpx.TimeoutException]) -> None:
        """Until the parser made progress or the connection ended (``what`` on timeout)."""
        loop = asyncio.get_running_loop()
        self.waiter = waiter = loop.create_future()
        timer = None
        if timeout is not None:
            timer = loop.call_later(timeout, _expire, waiter, what)
        try:
            await waiter
        finally:
            self.waiter = None
            if timer is not None:
                timer.cancel()

    def take(self) -> bytes:
        data = b"".join(self.chunks) if len(self.chunks) > 1 else self.chunks[0]
        self.chunks.clear()
        self.buffered = 0
        if self.paused and self.transport is not None and not self.lost:
            self.paused = False
            self.transport.resume_reading()
        return data

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            self.transport.close()


def _expire(waiter: asyncio.Future[None], what: type[httpx.TimeoutException]) -> None:
    if not waiter.done():
        waiter.set_exception(what("the upstream did not answer in time"))


def _quiet(conn: _Conn) -> bool:
    """Nothing to read on an idle connection: the peer's close (or stray bytes) may be in
    the kernel before the event loop has seen it; such a connection is not reused."""
    sock = conn.transport.get_extra_info("socket") if conn.transport is not None else None
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


class _Body(httpx.AsyncByteStream):
    """The response body of one request; gives the connection back when read to its end."""

    def __init__(
        self, pool: LeanTransport, key: tuple[str, int], conn: _Conn, read_s: float | None
    ):
        self._pool = pool
        self._key = key
        self._conn: _Conn | None = conn
        self._read_s = read_s

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        while True:
            if conn.chunks:
                yield conn.take()
                continue
            if conn.complete:
                break
            if conn.error is not None:
                raise httpx.RemoteProtocolError(conn.error)
            if conn.lost:
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body"
                )
            await conn.wait(self._read_s, httpx.ReadTimeout)
        await self.aclose()

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool._release(self._key, conn)


class LeanTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 to ``http://`` upstreams with pooled keep-alive connections."""

    def __init__(
        self, max_connections: int = 1000, max_idle: int = 200, keepalive_s: float = 4.0
    ) -> None:
        self._idle: dict[tuple[str, int], list[_Conn]] = {}
        self._max_idle = max_idle
        self._keepalive_s = keepalive_s
        self._slots = asyncio.Semaphore(max_connections)
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http":
            raise httpx.UnsupportedProtocol(
                f"the lean transport speaks http only, not {url.scheme}"
            )
        timeouts = request.extensions.get("timeout", {})
        head = _head(request.method, url.raw_path, request.headers.raw, len(request.content))
        response = await self.send((url.host, url.port or 80), head, request.content, timeouts)
        response.request = request
        return response

    async def send(
        self, key: tuple[str, int], head: bytes, body: bytes, timeouts: Mapping[str, float | None]
    ) -> httpx.Response:
        """Send a request whose head (from :func:`request_head`) is ready to ``key``
        (host, port); the response comes back once its head is read."""
        if self._closed:
            raise httpx.ConnectError("transport closed")
        await self._acquire_slot(timeouts.get("pool"))
        try:
            conn = self._reuse(key) or await self._connect(key, timeouts.get("connect"))
            conn.in_use = True
            assert conn.transport is not None  # noqa: S101 - set on connect
            if len(body) < 65536:
                conn.transport.write(head + body)
            else:
                conn.transport.writelines((head, body))
            read_s = timeouts.get("read")
            while not conn.head_done:
                if conn.error is not None or conn.lost:
                    conn.close()
                    raise httpx.RemoteProtocolError(
                        conn.error or "server disconnected without sending a response"
                    )
                try:
                    await conn.wait(read_s, httpx.ReadTimeout)
                except BaseException:
                    conn.close()
                    raise
        except BaseException:
            self._slots.release()
            raise
        return httpx.Response(
            conn.status,
            headers=conn.headers,
            stream=_Body(self, key, conn, read_s),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def _acquire_slot(self, timeout: float | None) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # free now: returns without waiting
            return
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout)
        except TimeoutError:
            raise httpx.PoolTimeout("no upstream connection free in time") from None

    def _reuse(self, key: tuple[str, int]) -> _Conn | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if not conn.lost and now - conn.idle_since < self._keepalive_s and _quiet(conn):
                return conn
            conn.close()
        return None

    async def _connect(self, key: tuple[str, int], timeout: float | None) -> _Conn:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(_Conn, key[0], key[1])
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {key[0]}:{key[1]} timed out") from None
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect: {exc.strerror or exc}") from None
        assert conn.transport is not None  # noqa: S101 - connection_made ran
        sock = conn.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _release(self, key: tuple[str, int], conn: _Conn) -> None:
        """A response ended: keep its connection when it is clean, else close it."""
        self._slots.release()
        conn.in_use = False
        reusable = (
            conn.complete
            and not conn.lost
            and not conn.chunks
            and conn.error is None
            and conn.keep_alive
            and not self._closed
        )
        idle = self._idle.setdefault(key, [])
        if not reusable or len(idle) >= self._max_idle:
            conn.close()
            return
        conn.parser = httptools.HttpResponseParser(conn)
        conn._start()
        conn.idle_since = time.monotonic()
        idle.append(conn)

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


_FORBIDDEN = frozenset(b"\r\n\x00")


def request_head(method: str, target: bytes, headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The request line and headers, without Content-Length and the blank line (add
    :func:`finish_head`); a name or value with CR, LF or NUL is refused (no injection)."""
    parts = [method.encode(), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        if _FORBIDDEN.intersection(name) or _FORBIDDEN.intersection(value):
            raise httpx.LocalProtocolError("invalid character in a request header")
        if name.lower() != b"content-length":
            parts += [name, b": ", value, b"\r\n"]
    return b"".join(parts)


def finish_head(head: bytes, length: int) -> bytes:
    return head + b"content-length: " + str(length).encode() + b"\r\n\r\n"


def _head(method: str, target: bytes, headers: Iterable[tuple[bytes, bytes]], length: int) -> bytes:
    return finish_head(request_head(method, target, headers), length)
