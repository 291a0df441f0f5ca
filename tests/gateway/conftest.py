"""Real servers on loopback for the gateway's tests.

* ``upstream``: an OpenAI-compatible upstream written on raw asyncio sockets, so it can
  misbehave in ways a framework would not let it (reset, truncated body, stalls). Its
  behaviour is chosen by the requested model name (see ``Upstream._answer``).
* ``gateway`` / ``make_gateway``: the gateway app under uvicorn on a free port, in a
  thread, with a small identity layer of its own (a fixed key table compared in constant
  time, each key's model allowlist, an in-memory per-principal counter) that tests can
  break on purpose.
* ``make_live``: the app as ``aisec up`` builds it, with the real identity layer (API-key
  store, policy authorizer, limiter) and the admin API.
* ``jwks``: a JWKS endpoint on loopback, with ``jwt_token``/``jwt_claims`` to sign for it.
* ``own_redis``: a redis-server of the test's own, which it may stop.
* ``aisec_up`` / ``aisec_cli``: real ``aisec`` processes, as a user runs them.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from aisec.core.identity import os_user
from aisec.core.policy import parse_policy
from aisec.core.store import open_store
from aisec.gateway import (
    ApiKeyStore,
    Caller,
    GatewayRefusal,
    GatewaySettings,
    create_app,
    gateway_identity,
    mount_admin,
)
from aisec.guard import Engine

KEY = "sk-aisec-test-0123456789abcdef"
NARROW_KEY = "sk-aisec-narrow-0123456789abcd"


class FixedKeys:
    """API keys from a fixed table, compared in constant time (every entry is compared)."""

    def __init__(self, table: dict[str, Caller]) -> None:
        self._table = list(table.items())
        self.broken = False

    async def authenticate(self, authorization: str | None) -> Caller:
        if self.broken:
            raise RuntimeError("identity store down")
        if not authorization or not authorization.startswith("Bearer "):
            raise GatewayRefusal(401, "missing_api_key", "no API key")
        given = authorization[7:].encode()
        found: Caller | None = None
        for key, caller in self._table:
            if hmac.compare_digest(key.encode(), given):
                found = caller
        if found is None:
            raise GatewayRefusal(401, "invalid_api_key", "unknown API key")
        return found


class FixedModels:
    broken = False

    def authorize_model(self, caller: Caller, model: str) -> None:
        if self.broken:
            raise RuntimeError("policy store down")
        if caller.models is not None and model not in caller.models:
            raise GatewayRefusal(403, "model_not_allowed", f"{caller.principal} may not use it")


class CountingLimiter:
    """Requests per principal, in memory; ``down`` simulates an unreachable shared limiter."""

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = limit
        self.counts: dict[str, int] = {}
        self.down = False

    async def admit(self, caller: Caller, tokens: int) -> None:
        if self.down:
            raise GatewayRefusal(503, "limiter_unavailable", "rate limiter unreachable")
        n = self.counts.get(caller.principal, 0) + 1
        if n > self.limit:
            raise GatewayRefusal(429, "rate_limited", "over the limit", retry_after=30)
        self.counts[caller.principal] = n

    def ready(self) -> bool:
        return not self.down


def identity() -> tuple[FixedKeys, FixedModels, CountingLimiter]:
    keys = FixedKeys(
        {
            KEY: Caller("alice", key_prefix="sk-aisec-tes"),
            NARROW_KEY: Caller("bob", key_prefix="sk-aisec-nar", models=frozenset({"echo"})),
        }
    )
    return keys, FixedModels(), CountingLimiter()


# -- the upstream ---------------------------------------------------------------------------


@dataclass
class Upstream:
    """An OpenAI-compatible upstream on raw sockets; ``script`` is streamed by model 'scripted'."""

    port: int = 0
    script: list[str] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    open_connections: int = 0
    stall: asyncio.Event | None = None
    tool_name: str = "send_mail"  # the tool 'scripted-tools' calls; arguments are ``script``
    legacy_function_call: bool = False  # answer with function_call, not tool_calls

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                if not await self._answer(method, path, body, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            self.open_connections -= 1
            writer.close()

    @staticmethod
    def _json(writer: asyncio.StreamWriter, doc: Any, status: int = 200) -> None:
        data = json.dumps(doc).encode()
        writer.write(
            f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
            f"content-length: {len(data)}\r\n\r\n".encode()
            + data
        )

    async def _sse(self, writer: asyncio.StreamWriter, events: list[bytes], done: bool) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
        )
        for event in events:
            writer.write(event)
            await writer.drain()
            await asyncio.sleep(0)
        if done:
            writer.write(b"data: [DONE]\n\n")
        await writer.drain()

    def _tool_events(self) -> list[bytes]:
        deltas: list[dict[str, Any]] = [
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": self.tool_name, "arguments": ""},
                    }
                ],
            }
        ]
        deltas += [
            {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            for piece in self.script
        ]
        out = []
        for i, delta in enumerate([*deltas, {}]):
            finish = "tool_calls" if i == len(deltas) else None
            chunk = {
                "id": "c1",
                "object": "chat.completion.chunk",
                "model": "scripted-tools",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            out.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        return out

    async def _answer(
        self, method: str, path: str, raw: bytes, writer: asyncio.StreamWriter
    ) -> bool:
        if method == "GET" and path.endswith("/models"):
            ids = ["echo", "scripted", "gpt-4o-mini"]
            self._json(writer, {"object": "list", "data": [{"id": i} for i in ids]})
            await writer.drain()
            return True
        body = json.loads(raw)
        self.bodies.append(body)
        model = body.get("model", "")
        if model == "reset":
            writer.transport.abort()
            return False
        if model == "http500":
            self._json(writer, {"error": {"message": "boom"}}, 500)
            await writer.drain()
            return True
        if model == "malformed":
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: 9\r\n\r\nnot json!"
            )
            await writer.drain()
            return True
        if model == "truncated":
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b'content-length: 500\r\n\r\n{"choices": ['
            )
            await writer.drain()
            return False
        if model == "huge":  # 33 MiB, over the gateway's cap on an upstream answer
            size = 33 << 20
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {size}\r\n\r\n".encode()
            )
            for _ in range(33):
                writer.write(b" " * (1 << 20))
                await writer.drain()
            return True
        if model == "endless-line" and body.get("stream"):  # 5 MiB with no newline
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            )
            writer.write(b"data: " + b"x" * (5 << 20))
            await writer.drain()
            return False
        if model == "nested-stream" and body.get("stream"):  # too deep for json.loads
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            )
            writer.write(b"data: " + b"[" * 100_000 + b"]" * 100_000 + b"\n\n")
            await writer.drain()
            return False
        bad_event = {"trailing-stream": b'{"choices": []} {"choices": []}', "text-stream": b"hi"}
        if model in bad_event and body.get("stream"):  # a data line that is not one JSON value
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            )
            writer.write(b"data: " + bad_event[model] + b"\n\ndata: [DONE]\n\n")
            await writer.drain()
            return False
        if model == "slow":
            await asyncio.sleep(30)
            return False
        if path.endswith("/embeddings"):
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [
                {"object": "embedding", "index": i, "embedding": [0.1, 0.2]}
                for i in range(len(inputs))
            ]
            self._json(writer, {"object": "list", "data": data, "model": model})
            await writer.drain()
            return True
        completions = path.endswith("/v1/completions")
        if completions:
            prompt = body["prompt"] if isinstance(body["prompt"], str) else body["prompt"][0]
            text = prompt
        else:
            text = str(body["messages"][-1].get("content"))
        if model.startswith("canary-echo"):  # a model that dumps its system prompt
            text = str(body["messages"][0].get("content"))
            if model == "canary-echo-b64":
                found = re.search(r"cnry-[0-9a-f]+", text)
                text = "encoded: " + base64.b64encode((found[0] if found else "").encode()).decode()
        if model == "scripted-tools" and body.get("stream"):
            await self._sse(writer, self._tool_events(), done=True)
            return False
        if model == "scripted-tools":
            function = {"name": self.tool_name, "arguments": "".join(self.script)}
            message: dict[str, Any] = {"role": "assistant", "content": None}
            if self.legacy_function_call:
                message["function_call"] = function
            else:
                message["tool_calls"] = [{"id": "call_1", "type": "function", "function": function}]
            answer = {"index": 0, "finish_reason": "tool_calls", "message": message}
            self._json(writer, {"id": "c1", "object": "chat.completion", "choices": [answer]})
            await writer.drain()
            return True
        if model == "scripted":
            pieces = list(self.script)
        else:
            pieces = [text[i : i + 7] for i in range(0, len(text), 7)] or [""]
        if body.get("stream"):
            events = []
            for piece in pieces:
                choice: dict[str, Any] = {"index": 0, "finish_reason": None}
                if completions:
                    choice["text"] = piece
                else:
                    choice["delta"] = {"content": piece}
                kind = "text_completion" if completions else "chat.completion.chunk"
                chunk = {
                    "id": "c1",
                    "object": kind,
                    "created": 1,
                    "model": model,
                    "choices": [choice],
                }
                events.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            last: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
            if not completions:
                last["delta"] = {}
            else:
                last["text"] = ""
            kind = "text_completion" if completions else "chat.completion.chunk"
            end = {"id": "c1", "object": kind, "created": 1, "model": model, "choices": [last]}
            if model == "slow-stream":
                await self._sse(writer, events[:1], done=False)
                await asyncio.sleep(30)
                return False
            if model == "paced":  # 30 events 20 ms apart
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    b"connection: close\r\n\r\n"
                )
                for _ in range(30):
                    writer.write(events[0])
                    await writer.drain()
                    await asyncio.sleep(0.02)
                writer.write(events[-1] if len(events) > 1 else b"")
                writer.write(b"data: " + json.dumps(end).encode() + b"\n\ndata: [DONE]\n\n")
                await writer.drain()
                return False
            if model == "endless":
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    b"connection: close\r\n\r\n"
                )
                while True:  # until the gateway hangs up
                    writer.write(events[0])
                    await writer.drain()
                    await asyncio.sleep(0.02)
            if model == "truncated-stream":
                await self._sse(writer, events[:2], done=False)
                return False
            events.append(b"data: " + json.dumps(end).encode() + b"\n\n")
            await self._sse(writer, events, done=True)
            return False
        full = "".join(pieces)
        if completions:
            doc = {
                "id": "c1",
                "object": "text_completion",
                "created": 1,
                "model": model,
                "choices": [{"index": 0, "text": full, "finish_reason": "stop"}],
            }
        else:
            doc = {
                "id": "c1",
                "object": "chat.completion",
                "created": 1,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": full},
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
            }
        self._json(writer, doc)
        await writer.drain()
        return True


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _wait(predicate: Callable[[], bool], what: str, deadline_s: float = 20.0) -> None:
    end = time.monotonic() + deadline_s
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError(f"{what} did not happen within {deadline_s} s")
        time.sleep(0.01)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    up = Upstream()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    server_box: list[asyncio.AbstractServer] = []

    async def start() -> None:
        server = await asyncio.start_server(up.handle, "127.0.0.1", 0)
        up.port = server.sockets[0].getsockname()[1]
        server_box.append(server)
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    ready.wait(10)
    yield up

    async def stop() -> None:
        server_box[0].close()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@dataclass
class Gateway:
    url: str
    server: uvicorn.Server
    keys: FixedKeys
    limiter: CountingLimiter
    app: Any

    @property
    def base(self) -> str:
        return self.url + "/v1"


def serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    _wait(lambda: server.started, "gateway start")
    return server, thread, f"http://127.0.0.1:{port}"


def policy_for(upstream_url: str, **route: Any) -> dict[str, Any]:
    base = {"name": "main", "models": ["*"], "upstream": upstream_url, "timeout_s": 1.0}
    base.update(route)
    return {"gateway": {"stream_window_chars": 64, "routes": [base]}}


@pytest.fixture
def make_gateway(upstream: Upstream) -> Iterator[Callable[..., Gateway]]:
    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def make(
        policy: dict[str, Any] | None = None,
        engine: Engine | None = None,
        audit: Any = None,
        demo: bool = False,
    ) -> Gateway:
        parsed = parse_policy(policy or policy_for(upstream.url))
        keys, models, limiter = identity()
        app = create_app(
            GatewaySettings.from_policy(parsed, demo=demo),
            keys,
            models,
            limiter,
            engine,
            audit=audit,
        )
        server, thread, url = serve(app)
        started.append((server, thread))
        return Gateway(url, server, keys, limiter, app)

    yield make
    for server, thread in started:
        server.should_exit = True
        thread.join(15)


@dataclass
class RedisServer:
    """A redis-server of a test's own (never the shared one), which the test may stop."""

    port: int
    folder: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    return conn.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        _wait(answers, "redis-server start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server started for this test on a free port (skipped without one on PATH)."""
    if shutil.which("redis-server") is None:
        if os.environ.get("AISEC_REQUIRE_REDIS") == "1":
            pytest.fail("AISEC_REQUIRE_REDIS=1 but redis-server is not on PATH")
        pytest.skip("redis-server is not on PATH")
    with _free_socket() as sock:
        port = sock.getsockname()[1]
    server = RedisServer(port, tmp_path)
    server.start()
    yield server
    server.stop()


@dataclass
class Live:
    """A gateway app with the real identity layer (API-key store, policy authorizer, limiter)
    and the admin API, as ``aisec up`` builds it, on loopback."""

    url: str
    keys: ApiKeyStore
    upstream: Upstream
    app: Any

    def chat(self, model: str = "gpt-4o", authorization: str | None = None) -> httpx.Response:
        headers = {} if authorization is None else {"Authorization": authorization}
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
        return httpx.post(self.url + "/v1/chat/completions", json=body, headers=headers)


@pytest.fixture
def make_live(aisec_home: Path, upstream: Upstream) -> Iterator[Callable[..., Live]]:
    """``make(policy_sections, redis_url="")``: a live gateway whose policy is the upstream's
    route plus ``policy_sections`` (e.g. ``gateway_auth``, ``access``)."""
    started: list[tuple[uvicorn.Server, threading.Thread, Any]] = []

    def make(sections: dict[str, Any] | None = None, redis_url: str = "") -> Live:
        doc: dict[str, Any] = policy_for(upstream.url)
        doc.update(sections or {})
        policy = parse_policy(doc)
        store = open_store(f"sqlite:///{aisec_home / 'aisec.db'}")
        ident = gateway_identity(policy, store, redis_url=redis_url)
        settings = GatewaySettings.from_policy(policy)
        ident.authorizer.bind_routes(settings.route_name)
        app = create_app(
            settings,
            ident.authenticator,
            ident.authorizer,
            ident.limiter,
        )
        mount_admin(app, ident.keys, policy, api_keys=ident.authenticator.api_keys)
        server, thread, url = serve(app)
        started.append((server, thread, store))
        return Live(url, ApiKeyStore(store), upstream, app)

    yield make
    for server, thread, store in started:
        server.should_exit = True
        thread.join(15)
        store.close()


@pytest.fixture
def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    return make_gateway()


@pytest.fixture
def redis_url() -> str:
    """A Redis that answers (``AISEC_TEST_REDIS_URL``, else 127.0.0.1:6379): skipped when none
    does, failed when ``AISEC_REQUIRE_REDIS=1``."""
    url = os.environ.get("AISEC_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
    host_port = url.split("://", 1)[1].split("/", 1)[0].rpartition("@")[2]
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=1):
            pass
    except OSError:
        if os.environ.get("AISEC_REQUIRE_REDIS") == "1":
            pytest.fail(f"AISEC_REQUIRE_REDIS=1 but no Redis answers at {url}")
        pytest.skip(f"no Redis at {url}: set AISEC_TEST_REDIS_URL")
    return url


# -- a JWKS endpoint and tokens (the JWT half of the auth matrix) ---------------------------

ISSUER = "https://idp.test/"
AUDIENCE = "aisec-gateway"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk(key: Any, kid: str, **extra: str) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        doc = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    else:
        doc = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    doc.update(kid=kid, use="sig", **extra)
    return dict(doc)


class JwksServer:
    """A JWKS endpoint on 127.0.0.1 whose document and availability a test can change."""

    def __init__(self) -> None:
        self.doc: dict[str, Any] = {"keys": [jwk(RSA_KEY, "k1", alg="RS256")]}
        self.hits = 0
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                body = json.dumps(outer.doc).encode()
                self.send_response(outer.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.close()


def jwt_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice@example.com",
        "org": "acme",
        "roles": ["ml-engineer"],
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def jwt_token(claims: dict[str, Any] | None = None, key: Any = RSA_KEY, **header: Any) -> str:
    header.setdefault("kid", "k1")
    alg = header.pop("alg", "RS256")
    return jwt.encode(claims or jwt_claims(), key, algorithm=alg, headers=header)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- aisec as a user runs it: CLI commands and `aisec up` processes -------------------------

SRC = str(Path(__file__).resolve().parents[2] / "src")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def aisec_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "aisec", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Replicas:
    urls: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)


@contextmanager
def aisec_up(env: dict[str, str], n: int, upstream_url: str, *extra: str) -> Iterator[Replicas]:
    """``n`` real ``aisec up`` processes on free ports, once all answer."""
    replicas = Replicas()
    procs, urls = replicas.procs, replicas.urls
    up_args = ["--upstream", upstream_url, *extra]
    try:
        for _ in range(n):
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "aisec", "up", "--port", str(port), *up_args],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 90
        for proc, url in zip(procs, urls, strict=True):
            while True:
                assert proc.poll() is None, "aisec up exited"
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.1)
        yield replicas
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def policy_file(tmp_path: Path, doc: dict[str, Any]) -> str:
    """A policy file for ``aisec up --policy`` (trusted); the OS user keeps its admin role."""
    doc = json.loads(json.dumps(doc))
    access = doc.setdefault("access", {})
    access.setdefault("principals", []).append({"name": os_user(), "roles": ["admin"]})
    path = tmp_path / "gateway-policy.json"
    path.write_text(json.dumps(doc))
    return str(path)


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": SRC, "AISEC_HOME": str(tmp_path / "home")}
    env.pop("AISEC_REDIS_URL", None)
    env.update(extra)
    return env


def cli_key(env: dict[str, str], *args: str, principal: str = "replica-test") -> tuple[str, str]:
    out = aisec_cli(env, "access", "apikey", "create", "--principal", principal, *args)
    key = out.strip().splitlines()[-1]
    return key, key.split("_")[1]
