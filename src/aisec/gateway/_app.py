"""The gateway's FastAPI app: validate, authenticate, authorize, limit, guard, forward, record.

Order of a model call: body size cap on the raw bytes → JSON → the OpenAI schema (400
naming the field) → authenticate → route for the model (404) → authorize the model (403)
→ image hosts → limiter (429) → audit sink healthy (503) → guard input (400 blocked,
503 when a scanner fails) → upstream (502/504 on faults) → guard output (on streams a
sliding window, see ``_stream_guard``) → response. Every outcome is one audit event and
metrics. Anything that cannot be checked refuses the request (fail closed) unless the
route sets ``fail_open`` (audited at start and on every request it lets through).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ValidationError
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from aisec.core.policy import Direction
from aisec.core.refusals import refused
from aisec.gateway._audit_sink import AuditSink, AuditWriter
from aisec.gateway._contract import Authenticator, Caller, GatewayRefusal, Limiter, ModelAuthorizer
from aisec.gateway._errors import (
    ERROR_SCHEMA,
    GatewayError,
    compact_json,
    error_body,
    error_response,
)
from aisec.gateway._metrics import GatewayMetrics
from aisec.gateway._schema import (
    DOCUMENTS_FIELD,
    ChatRequest,
    CompletionRequest,
    EmbeddingRequest,
    GuardScanRequest,
)
from aisec.gateway._settings import GatewaySettings, Route
from aisec.gateway._stream_guard import StreamBlocked, WindowGuard
from aisec.gateway._upstream import LeanTransport, finish_head, request_head
from aisec.guard import (
    Action,
    Chunk,
    Decision,
    Engine,
    RagCaller,
    RagFilter,
    ScanContext,
    insert_canary,
)

__all__ = ["DEMO_HEADER", "create_app"]

DEMO_HEADER = "X-Aisec-Demo"
CANARY_SCANNER = "system_prompt_leak"
CANARY_RULE = "guard-output-canary-leak"
DEMO_NOTE = "echo upstream: a demo, not a model"
Endpoint = Literal["chat", "completions", "embeddings"]
_PATHS: dict[Endpoint, str] = {
    "chat": "/chat/completions",
    "completions": "/completions",
    "embeddings": "/embeddings",
}
_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for status, text in (
        (400, "Invalid request, or blocked by the guard (code says which)"),
        (401, "Missing or invalid credentials"),
        (403, "Caller may not use this model"),
        (404, "No route serves this model"),
        (413, "Body over the size cap"),
        (429, "Over a rate limit or quota (Retry-After)"),
        (502, "Upstream fault"),
        (503, "Guard, store or limiter unavailable (fail closed)"),
        (504, "Upstream timeout"),
    )
}


def _param(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


async def _read_body(request: Request, cap: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise GatewayError(400, "invalid_content_length", "Content-Length is not a number")
        if int(length) > cap:
            raise GatewayError(413, "body_too_large", f"request body is over {cap} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise GatewayError(413, "body_too_large", f"request body is over {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


_M = TypeVar("_M", bound=BaseModel)


def _parse(raw: bytes, model: type[_M]) -> tuple[dict[str, Any], _M]:
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise GatewayError(400, "invalid_json", "request body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise GatewayError(400, "invalid_json", "request body must be a JSON object")
    try:
        parsed = model.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _param(tuple(first.get("loc", ())))
        msg = str(first.get("msg", "invalid value"))
        raise GatewayError(
            400, "invalid_request", f"{where or 'body'}: {msg}", param=where or None
        ) from None
    return doc, parsed


_HEAD_CHARS = 300  # refusals open an answer
_MAX_TOOLS_RECORDED = 20
_TOOL_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@dataclass(slots=True)
class _Trace:
    """What one request did, for its audit event and metrics."""

    endpoint: str
    started: float = field(default_factory=time.perf_counter)
    caller: Caller | None = None
    route: str = "-"
    model: str = "-"
    decision: str = "allow"
    status: int = 200
    code: str | None = None
    upstream_s: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    fired: list[tuple[str, str, str]] = field(default_factory=list)  # scanner, direction, action
    usage: dict[str, int] = field(default_factory=dict)
    fail_open: str | None = None
    guard: bool = True
    recorded: bool = False
    prompt_fp: str | None = None  # keyed digest of the prompt: distinct-prompt signals
    ctx: ScanContext = field(default_factory=ScanContext)  # per request: canary, principal
    # model behaviour, for the monitor's per-route signals (counts and names, never text)
    output_chars: int = 0
    output_head: str = ""  # the answer's first characters, only to tell a refusal; not recorded
    tools_called: list[str] = field(default_factory=list)
    canary_leak: bool = False

    def output(self, text: str) -> None:
        self.output_chars += len(text)
        if len(self.output_head) < _HEAD_CHARS:
            self.output_head += text[: _HEAD_CHARS - len(self.output_head)]

    def note(self, decision: Decision) -> None:
        for o in decision.outcomes:
            key = f"{decision.direction.value}.{o.scanner}"
            self.scores[key] = max(self.scores.get(key, 0.0), o.score)
            if o.fired:
                self.fired.append((o.scanner, decision.direction.value, decision.action.value))
        if decision.blocked:
            self.decision = "block"
        elif decision.action.value == "redact" and self.decision == "allow":
            self.decision = "redact"


@dataclass(frozen=True, slots=True)
class _Upstream:
    """What a call to one route's upstream needs, built once: URLs, headers, timeouts and
    the transport. ``http://`` upstreams go through the lean HTTP/1.1 transport with each
    endpoint's request head prepared here; ``https://`` ones through httpx's own transport
    (TLS, HTTP/2)."""

    transport: httpx.AsyncBaseTransport
    urls: dict[Endpoint, httpx.URL]
    headers: list[tuple[str, str]]
    timeouts: dict[str, float | None]
    heads: dict[Endpoint, bytes]  # lean transport only

    @classmethod
    def build(cls, route: Route, lean: LeanTransport, tls: httpx.AsyncBaseTransport) -> _Upstream:
        urls = {e: httpx.URL(route.base_url + path) for e, path in _PATHS.items()}
        timeouts = httpx.Timeout(route.policy.timeout_s, connect=route.policy.connect_timeout_s)
        headers = [*route.upstream_headers, ("user-agent", "aisec-gateway")]
        plain = urls["chat"].scheme == "http"
        heads: dict[Endpoint, bytes] = {}
        if plain:
            for endpoint, url in urls.items():
                sample = httpx.Request("POST", url, headers=headers)  # adds Host
                heads[endpoint] = request_head("POST", url.raw_path, sample.headers.raw)
        return cls(lean if plain else tls, urls, headers, timeouts.as_dict(), heads)

    async def send(self, endpoint: Endpoint, payload: bytes) -> httpx.Response:
        if self.heads:
            assert isinstance(self.transport, LeanTransport)  # noqa: S101 - built so
            url = self.urls[endpoint]
            head = finish_head(self.heads[endpoint], len(payload))
            return await self.transport.send(
                (url.host, url.port or 80), head, payload, self.timeouts
            )
        request = httpx.Request(
            "POST",
            self.urls[endpoint],
            content=payload,
            headers=self.headers,
            extensions={"timeout": self.timeouts},
        )
        return await self.transport.handle_async_request(request)


class _Gateway:
    """The state one app shares across requests (built once, at start)."""

    def __init__(
        self,
        settings: GatewaySettings,
        authenticator: Authenticator,
        authorizer: ModelAuthorizer,
        limiter: Limiter,
        engine: Engine | None,
        audit: AuditWriter | None,
    ) -> None:
        self.settings = settings
        self.authenticator = authenticator
        self.authorizer = authorizer
        self.limiter = limiter
        self.engine = engine if engine is not None else Engine(settings.guard)
        self.metrics = GatewayMetrics()
        self._audit_writer = audit
        self.sink: AuditSink | None = None
        self.client: httpx.AsyncClient | None = None
        self.upstreams: dict[str, _Upstream] = {}
        self.window = settings.gateway.stream_window_chars
        self._models_cache: tuple[float, dict[str, list[str]]] = (0.0, {})
        if any(r.policy.canary and r.policy.guard for r in settings.routes):
            # a canary nobody looks for protects nothing: refuse to start without the scanner
            self.engine.scanner(CANARY_SCANNER)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        writer = self._audit_writer
        if writer is None:
            from aisec.core.audit import default_log

            writer = default_log()
        self.sink = AuditSink(writer)
        lean = LeanTransport(max_connections=1000, max_idle=200)
        tls = httpx.AsyncHTTPTransport(
            http2=True,
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=200),
            trust_env=False,
        )
        # probes and model lists; the request path calls the transports directly
        self.client = httpx.AsyncClient(
            mounts={"http://": lean, "https://": tls}, follow_redirects=False, trust_env=False
        )
        self.upstreams = {r.name: _Upstream.build(r, lean, tls) for r in self.settings.routes}
        for route in self.settings.routes:
            if not route.policy.guard:
                self.audit_system(
                    "gateway.guard_opt_out", route.name, {"reason": route.policy.guard_off_reason}
                )
            if route.policy.fail_open:
                self.audit_system("gateway.fail_open_route", route.name, {})

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        if self.sink is not None:
            await asyncio.to_thread(self.sink.close)

    def audit_system(self, action: str, target: str, details: dict[str, Any]) -> None:
        if self.sink is not None:
            self.sink.emit("aisec-gateway", action, target, "ok", details)

    # -- per request -------------------------------------------------------------------
    def record(self, trace: _Trace) -> None:
        """One audit event and the metrics of a finished request (never raw text); once."""
        if trace.recorded:
            return
        trace.recorded = True
        elapsed = time.perf_counter() - trace.started
        status = str(trace.status)
        m = self.metrics
        m.finished(trace.route, trace.endpoint, trace.decision, status, trace.upstream_s, elapsed)
        for scanner, direction, action in trace.fired:
            m.guard_fired.labels(trace.route, scanner, direction, action).inc()
        if self.sink is None:
            return
        caller = trace.caller
        details: dict[str, Any] = {
            "endpoint": trace.endpoint,
            "route": trace.route,
            "model": trace.model,
            "decision": trace.decision,
            "status": trace.status,
            "code": trace.code,
            "key_prefix": caller.key_prefix if caller else None,
            "auth_method": caller.auth_method if caller else None,
            "tenant": caller.tenant if caller else None,
            "latency_ms": round(elapsed * 1000, 3),
            "upstream_ms": round(trace.upstream_s * 1000, 3),
            "guard": trace.guard,
        }
        if trace.fail_open:
            details["fail_open"] = trace.fail_open
        if trace.prompt_fp is not None:
            details["prompt_fp"] = trace.prompt_fp
        for key, score in trace.scores.items():
            details[f"score.{key}"] = round(score, 4)
        for key, n in trace.usage.items():
            # "tokens" in a detail key reads as a secret to the audit log: use the short name
            details[f"usage.{key.removesuffix('_tokens')}"] = n
        details.update(_behaviour(trace))
        outcome = "ok" if trace.status < 400 else ("error" if trace.status >= 500 else "denied")
        actor = caller.principal if caller else "anonymous"
        self.sink.emit(actor, "gateway.request", f"{trace.route}:{trace.model}", outcome, details)

    async def authenticate(self, request: Request, trace: _Trace) -> Caller:
        try:
            caller = await self.authenticator.authenticate(request.headers.get("authorization"))
        except GatewayRefusal:
            raise
        except Exception as exc:  # an authenticator that cannot answer refuses (fail closed)
            raise GatewayError(
                503, "auth_unavailable", f"authentication failed: {type(exc).__name__}"
            ) from None
        trace.caller = caller
        return caller

    def authorize(self, caller: Caller, model: str) -> None:
        try:
            self.authorizer.authorize_model(caller, model)
        except GatewayRefusal:
            raise
        except Exception as exc:  # an authorizer that cannot decide refuses (fail closed)
            raise GatewayError(
                503, "authz_unavailable", f"authorization failed: {type(exc).__name__}"
            ) from None

    def authorize_tools(self, caller: Caller, names: list[str]) -> None:
        """Per principal and tenant tool authorization (``gateway_auth`` ``tools``), where
        the authorizer has it: 403 ``tool_not_allowed`` / ``tool_not_allowed_for_tenant``."""
        check = getattr(self.authorizer, "authorize_tools", None)
        if check is None or not names:
            return
        try:
            check(caller, names)
        except GatewayRefusal:
            raise
        except Exception as exc:  # an authorizer that cannot decide refuses (fail closed)
            raise GatewayError(
                503, "authz_unavailable", f"authorization failed: {type(exc).__name__}"
            ) from None

    def check_audit(self, route: Route | None, trace: _Trace) -> None:
        error = self.sink.error if self.sink is not None else "audit sink not started"
        if error is None:
            return
        if route is not None and route.policy.fail_open:
            trace.fail_open = error
            return
        raise GatewayError(503, "audit_unavailable", f"cannot record decisions: {error}")

    async def admit(self, caller: Caller, tokens: int, route: Route, trace: _Trace) -> None:
        try:
            await self.limiter.admit(caller, tokens)
        except GatewayRefusal as exc:
            self.metrics.limiter_rejections.labels(exc.code).inc()
            if exc.status >= 500 and route.policy.fail_open:
                trace.fail_open = f"limiter: {exc.code}"
                return
            raise
        except Exception as exc:  # a limiter that cannot answer refuses (fail closed)
            self.metrics.limiter_rejections.labels("limiter_error").inc()
            if route.policy.fail_open:
                trace.fail_open = f"limiter: {type(exc).__name__}"
                return
            raise GatewayError(
                503, "limiter_unavailable", f"rate limiter failed: {type(exc).__name__}"
            ) from None

    def scan(self, text: str, direction: Direction, route: Route, trace: _Trace, where: str) -> str:
        """Guard one text; return what may go on. Raises GatewayError on block/failure."""
        if not route.policy.guard:
            return text
        try:
            decision = self.engine.scan(text, direction, trace.ctx)
        except Exception as exc:  # a guard that cannot decide refuses (fail closed)
            if route.policy.fail_open:
                trace.fail_open = f"guard: {type(exc).__name__}"
                return text
            raise GatewayError(
                503, "guard_unavailable", f"guard failed: {type(exc).__name__}"
            ) from None
        decision = _canary_blocks(decision)
        trace.note(decision)
        trace.canary_leak = trace.canary_leak or _canary_leaked(decision)
        failed = [o.scanner for o in decision.outcomes if o.error is not None and o.fired]
        if failed:
            trace.decision = "error"
            if route.policy.fail_open:
                trace.fail_open = "guard: " + ",".join(failed)
                return text
            raise GatewayError(
                503, "guard_unavailable", "guard scanner failed: " + ", ".join(failed)
            )
        if decision.blocked:
            code = "guard_output_blocked" if direction is Direction.OUTPUT else "guard_blocked"
            raise GatewayError(400, code, f"{where}: {decision.reason}", param=where)
        return decision.text

    def check_tool(
        self, name: object, arguments: object, route: Route, trace: _Trace, where: str
    ) -> None:
        """A tool call the model returned, against the guard's ``guard.tools`` policy.

        Only where the policy has a ``guard.tools`` section: without one the gateway cannot
        know the application's tools. A denied call raises 400 ``guard_tool_denied`` naming
        the rule; a policy check that raises refuses with 503 (fail closed).
        """
        trace.tools_called.append(name if isinstance(name, str) else "?")
        caller = trace.caller
        if caller is not None:  # a tool the caller may not offer, it may not get a call of
            try:
                self.authorize_tools(caller, [name if isinstance(name, str) else ""])
            except GatewayRefusal as exc:
                raise GatewayError(
                    exc.status, exc.code, f"{where}: {exc.message}", param=where
                ) from None
        if not route.policy.guard or self.engine.policy.tools is None:
            return
        ctx = ScanContext(
            direction=Direction.OUTPUT,
            principal=caller.principal if caller is not None else None,
            route=route.name,
            state=trace.ctx.state,
        )
        try:
            findings = self.engine.check_tool_call(
                name if isinstance(name, str) else "", arguments, ctx
            )
        except Exception as exc:  # a policy that cannot decide refuses (fail closed)
            if route.policy.fail_open:
                trace.fail_open = f"tools: {type(exc).__name__}"
                return
            raise GatewayError(
                503, "guard_unavailable", f"tool policy failed: {type(exc).__name__}"
            ) from None
        if not findings:
            return
        trace.fired.append(("tools", Direction.OUTPUT.value, "block"))
        trace.scores[f"{Direction.OUTPUT.value}.tools"] = 1.0
        first = findings[0]
        raise GatewayError(
            400,
            "guard_tool_denied",
            f"{where}: tool call denied by {first.rule_id} ({first.title})",
            param=where,
        )

    def window_scan(self, route: Route, trace: _Trace) -> Callable[[str], Decision]:
        def run(text: str) -> Decision:
            decision = _canary_blocks(self.engine.scan(text, Direction.OUTPUT, trace.ctx))
            trace.note(decision)
            trace.canary_leak = trace.canary_leak or _canary_leaked(decision)
            if any(o.error is not None and o.fired for o in decision.outcomes):
                raise GatewayError(503, "guard_unavailable", "guard scanner failed on output")
            return decision

        return run


def _offered_tools(body: ChatRequest, doc: dict[str, Any]) -> list[str]:
    """The tools a chat request offers the model: ``tools`` and the legacy ``functions``."""
    names = [t.function.name for t in body.tools or ()]
    functions = doc.get("functions")
    if functions is None:
        return names
    if not isinstance(functions, list) or len(functions) > 128:
        raise GatewayError(400, "invalid_request", "functions: expected a list", param="functions")
    for k, fn in enumerate(functions):
        name = fn.get("name") if isinstance(fn, dict) else None
        if not isinstance(name, str):
            where = f"functions[{k}].name"
            raise GatewayError(400, "invalid_request", f"{where}: expected a name", param=where)
        names.append(name)
    return names


def _behaviour(trace: _Trace) -> dict[str, Any]:
    """What the monitor's per-route behaviour signals read: the scanners of blocking
    decisions, the answer's length and whether it refused, the tools the model called and
    canary leaks. Counts, flags and names; never the text."""
    out: dict[str, Any] = {}
    blocked = sorted({f"{d}.{s}" for s, d, a in trace.fired if a == "block"})
    if blocked:
        out["blocked_by"] = ",".join(blocked)
    if trace.status == 200 and trace.endpoint in ("chat", "completions"):
        out["output_chars"] = trace.output_chars
        out["refusal"] = refused(trace.output_head) if trace.output_head else False
        if trace.tools_called:
            names = [n if _TOOL_NAME.fullmatch(n) else "?" for n in trace.tools_called]
            out["tools_called"] = ",".join(names[:_MAX_TOOLS_RECORDED])
    if trace.canary_leak:
        out["canary_leak"] = True
    return out


def _canary_leaked(decision: Decision) -> bool:
    return any(
        o.fired and any(f.rule_id == CANARY_RULE for f in o.findings) for o in decision.outcomes
    )


def _canary_blocks(decision: Decision) -> Decision:
    """A leaked canary blocks, whatever mode the policy gives the leak scanner: the token
    exists only to be caught, and a redacted leak still proves the prompt was dumped."""
    if decision.blocked:
        return decision
    for outcome in decision.outcomes:
        if outcome.fired and any(f.rule_id == CANARY_RULE for f in outcome.findings):
            return Decision(
                Action.BLOCK,
                decision.direction,
                decision.text,
                decision.outcomes,
                f"blocked by {outcome.scanner} (canary leaked)",
            )
    return decision


def _insert_canary(messages: list[Any], trace: _Trace) -> None:
    """Put a fresh canary token into the first system (or developer) message, or a new
    system message first when there is none; the output guard then looks for it."""
    for message in messages:
        if message.get("role") not in ("system", "developer"):
            continue
        content = message.get("content")
        if isinstance(content, str):
            message["content"] = insert_canary(content, trace.ctx)
            return
        if isinstance(content, list):
            text = "\n".join(p["text"] for p in content if p.get("type") == "text")
            marked = insert_canary(text, trace.ctx)
            content.insert(0, {"type": "text", "text": marked[: len(marked) - len(text)]})
            return
    messages.insert(0, {"role": "system", "content": insert_canary("", trace.ctx).rstrip()})


_SPOTLIGHT_READER = RagCaller("gateway", tenant="request")


def _spotlight(message: dict[str, Any], route: Route) -> None:
    """Wrap a retrieved document's text so the model can tell it is data (spotlighting with
    the guard's RAG filter: per-request random boundaries, or datamarking). The text parts
    of a message become one part, first, with the instructions; other parts stay."""
    content = message.get("content")
    if isinstance(content, str):
        text = content
    elif isinstance(content, list):
        text = "\n".join(p["text"] for p in content if p.get("type") == "text")
    else:
        return
    chunk = Chunk("doc", text, tenant="request", groups=frozenset({"*"}), classification="public")
    result = RagFilter(spotlight=route.policy.spotlight, audit=False).filter(
        [chunk], _SPOTLIGHT_READER
    )
    if len(result.kept) != 1:  # the filter refused its own chunk: never send it unwrapped
        raise GatewayError(503, "guard_unavailable", "could not mark a retrieved document")
    wrapped = f"{result.instructions}\n{result.text}"
    if isinstance(content, str):
        message["content"] = wrapped
    else:
        others = [p for p in content if p.get("type") != "text"]
        message["content"] = [{"type": "text", "text": wrapped}, *others]


def _check_images(body: ChatRequest, route: Route) -> None:
    allowed = {h.lower() for h in route.policy.allowed_image_hosts}
    for i, message in enumerate(body.messages):
        if not isinstance(message.content, list):
            continue
        for j, part in enumerate(message.content):
            if part.type != "image_url":
                continue
            url = part.image_url.url
            where = f"messages[{i}].content[{j}].image_url.url"
            if url.startswith("data:image/"):
                continue
            try:
                parts = urlsplit(url)
                host = (parts.hostname or "").lower()
            except ValueError:
                raise GatewayError(
                    400, "invalid_image_url", f"{where}: not a URL", param=where
                ) from None
            if parts.scheme != "https" or host not in allowed:
                raise GatewayError(
                    400,
                    "image_host_not_allowed",
                    f"{where}: images must be data: URLs or https from an allowed host",
                    param=where,
                )


def _guard_chat_input(gw: _Gateway, doc: dict[str, Any], route: Route, trace: _Trace) -> None:
    documents = set(doc.pop(DOCUMENTS_FIELD, None) or ())
    messages = doc["messages"]
    if any(i >= len(messages) for i in documents):
        raise GatewayError(
            400, "invalid_documents", "marks a message that does not exist", param=DOCUMENTS_FIELD
        )
    for i, message in enumerate(messages):
        role = message.get("role")
        direction = (
            Direction.DOCUMENT
            if i in documents
            else Direction.TOOL_RESULT
            if role in ("tool", "function")
            else Direction.SYSTEM
            if role in ("system", "developer")
            else Direction.INPUT
        )
        content = message.get("content")
        if isinstance(content, str):
            message["content"] = gw.scan(content, direction, route, trace, f"messages[{i}].content")
        elif isinstance(content, list):
            for j, part in enumerate(content):
                if part.get("type") == "text":
                    part["text"] = gw.scan(
                        part["text"], direction, route, trace, f"messages[{i}].content[{j}].text"
                    )
        for k, call in enumerate(message.get("tool_calls") or ()):
            fn = call["function"]
            fn["arguments"] = gw.scan(
                fn["arguments"],
                Direction.INPUT,
                route,
                trace,
                f"messages[{i}].tool_calls[{k}].function.arguments",
            )
    if route.policy.guard:
        for i in sorted(documents):
            _spotlight(messages[i], route)
    if route.policy.canary and route.policy.guard:
        _insert_canary(messages, trace)


def _guard_output(gw: _Gateway, doc: Any, route: Route, trace: _Trace, endpoint: str) -> None:
    if not isinstance(doc, dict):
        raise GatewayError(502, "upstream_malformed", "upstream answered with a non-object")
    choices = doc.get("choices")
    if endpoint == "embeddings" or not isinstance(choices, list):
        if endpoint != "embeddings":
            raise GatewayError(502, "upstream_malformed", "upstream answer has no choices")
        return
    for i, choice in enumerate(choices):
        if not isinstance(choice, dict):
            raise GatewayError(502, "upstream_malformed", "upstream choice is not an object")
        if endpoint == "completions":
            if isinstance(choice.get("text"), str):
                trace.output(choice["text"])
                choice["text"] = gw.scan(
                    choice["text"], Direction.OUTPUT, route, trace, f"choices[{i}].text"
                )
            continue
        message = choice.get("message")
        if not isinstance(message, dict):
            raise GatewayError(502, "upstream_malformed", "upstream choice has no message")
        if isinstance(message.get("content"), str):
            trace.output(message["content"])
            message["content"] = gw.scan(
                message["content"], Direction.OUTPUT, route, trace, f"choices[{i}].message.content"
            )
        calls = message.get("tool_calls") or []
        if not isinstance(calls, list):
            raise GatewayError(502, "upstream_malformed", "upstream tool_calls is not a list")
        named: list[tuple[str, Any]] = [
            (f"choices[{i}].message.tool_calls[{k}]", call) for k, call in enumerate(calls)
        ]
        if message.get("function_call") is not None:  # the legacy single-call shape
            named.append(
                (f"choices[{i}].message.function_call", {"function": message["function_call"]})
            )
        for where, call in named:
            fn = call.get("function") if isinstance(call, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("arguments", ""), str):
                raise GatewayError(502, "upstream_malformed", "upstream sent a bad tool call")
            arguments = fn.get("arguments", "")
            gw.check_tool(fn.get("name"), arguments, route, trace, where)
            fn["arguments"] = gw.scan(
                arguments, Direction.OUTPUT, route, trace, f"{where}.function.arguments"
            )


def _usage(doc: Any) -> dict[str, int]:
    usage = doc.get("usage") if isinstance(doc, dict) else None
    if not isinstance(usage, dict):
        return {}
    return {
        k: v
        for k, v in usage.items()
        if k in ("prompt_tokens", "completion_tokens", "total_tokens") and isinstance(v, int)
    }


def _sse(doc: Any) -> bytes:
    return b"data: " + compact_json(doc).encode() + b"\n\n"


def _sse_error(status: int, code: str, message: str) -> bytes:
    return b"data: " + error_body(status, code, message) + b"\n\n"


# The C scanner json.loads runs: (value, end) of the JSON text at an offset (the data of
# an SSE line is stripped already, so json.loads' whitespace scans are left out).
_scan_json: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


class _StreamRewriter:
    """Rewrites one upstream SSE stream line by line: every choice's text through the
    window guard, tool calls held back whole; ``done`` once ``[DONE]`` went out."""

    def __init__(self, gw: _Gateway, route: Route, trace: _Trace, endpoint: str) -> None:
        self.gw, self.route, self.trace, self.endpoint = gw, route, trace, endpoint
        self.window = WindowGuard(gw.window_scan(route, trace), gw.window)
        self.text_key = "text" if endpoint == "completions" else "content"
        self.tool_args: dict[tuple[int, int], _HeldCall] = {}
        self.done = False

    def line(self, line: str) -> bytes:
        """What to send for one upstream line (maybe nothing)."""
        if not line.startswith("data:"):
            return line.encode() + b"\n" if line and not line.startswith(":") else b""
        data = line[5:].strip()
        if data == "[DONE]":
            out = [
                _sse(_flush_chunk(index, rest, self.endpoint, self.text_key))
                for index, rest in self.window.finish_all().items()
                if rest
            ]
            self.done = True
            return b"".join(out) + b"data: [DONE]\n\n"
        try:
            event, end = _scan_json(data, 0)  # json.loads without its two whitespace scans
        except (StopIteration, json.JSONDecodeError, RecursionError):
            end = -1
        if end != len(data):
            raise GatewayError(502, "upstream_malformed", "upstream sent a bad SSE event")
        choices = event.get("choices") if isinstance(event, dict) else None
        if not isinstance(choices, list):
            return _sse(event)
        for choice in choices:
            if not isinstance(choice, dict):
                raise GatewayError(502, "upstream_malformed", "upstream sent a bad choice")
            self._choice(choice)
        if "usage" in event:
            usage = _usage(event)
            if usage:
                self.trace.usage = usage
        return _sse(event)

    def _choice(self, choice: dict[str, Any]) -> None:
        index = choice.get("index", 0)
        index = index if isinstance(index, int) else 0
        key, chat = self.text_key, self.endpoint == "chat"
        holder = choice if self.endpoint == "completions" else choice.get("delta")
        if isinstance(holder, dict) and isinstance(holder.get(key), str):
            self.trace.output(holder[key])
            holder[key] = self.window.feed(index, holder[key])
        if (
            chat
            and isinstance(holder, dict)
            and ("tool_calls" in holder or "function_call" in holder)
        ):
            _hold_tool_arguments(holder, index, self.tool_args)
        if choice.get("finish_reason") is not None:
            rest = self.window.finish(index)
            if not isinstance(holder, dict):
                holder = choice["delta"] = {}
            if rest:
                holder[key] = (holder.get(key) or "") + rest
            if chat:
                _release_tool_arguments(
                    self.gw, holder, index, self.tool_args, self.route, self.trace
                )


class _Last(bytes):
    """A stream's final chunk: sent with the end of the response in one write."""


async def _guarded_stream(
    gw: _Gateway,
    upstream: httpx.Response,
    route: Route,
    trace: _Trace,
    endpoint: str,
) -> AsyncIterator[bytes]:
    """Re-emit the upstream's SSE events with every choice's text through the window guard;
    the events of one upstream read go out in one write."""
    rewriter = _StreamRewriter(gw, route, trace, endpoint)
    out: list[bytes] = []
    try:
        async for lines in _sse_batches(upstream):
            for line in lines:
                if not line:
                    continue  # the blank line after each event: the rewriter adds its own
                out.append(rewriter.line(line))
                if rewriter.done:
                    break
            sent, out = b"".join(out), []
            if rewriter.done:
                yield _Last(sent)
                break
            if sent:
                yield sent
        if not rewriter.done:
            raise GatewayError(502, "upstream_truncated", "upstream stream ended early")
    except StreamBlocked as exc:
        trace.decision, trace.status, trace.code = "block", 400, "guard_output_blocked"
        reason = f"stream ended: {exc.decision.reason}"
        yield _Last(b"".join(out) + _sse_error(400, "guard_output_blocked", reason))
    except GatewayError as exc:
        trace.status, trace.code = exc.status, exc.code
        if exc.code == "guard_output_blocked":
            trace.decision = "block"
        yield _Last(b"".join(out) + _sse_error(exc.status, exc.code, exc.message))
    except httpx.TimeoutException:
        gw.metrics.upstream_errors.labels(route.name, "timeout").inc()
        trace.status, trace.code = 504, "upstream_timeout"
        yield _Last(b"".join(out) + _sse_error(504, "upstream_timeout", "upstream stream stalled"))
    except httpx.HTTPError as exc:
        gw.metrics.upstream_errors.labels(route.name, "reset").inc()
        trace.status, trace.code = 502, "upstream_error"
        why = f"upstream stream failed: {type(exc).__name__}"
        yield _Last(b"".join(out) + _sse_error(502, "upstream_error", why))
    finally:
        await upstream.aclose()
        gw.record(trace)


@dataclass(slots=True)
class _HeldCall:
    """A streamed tool call, kept back whole until its choice finishes."""

    id: Any = None
    type: Any = None
    name: list[str] = field(default_factory=list)
    arguments: list[str] = field(default_factory=list)


_LEGACY_SLOT = -1  # delta.function_call, the single-call shape before tool_calls


def _hold_tool_arguments(
    delta: dict[str, Any], choice: int, held: dict[tuple[int, int], _HeldCall]
) -> None:
    """Keep streamed tool calls (name, id and argument fragments) back until the choice is
    complete: a call is checked against the tool policy and scanned whole before any part
    of it reaches the client (clients join fragments anyway)."""
    calls = delta.pop("tool_calls", None)
    if calls is None:
        calls = []
    if not isinstance(calls, list):
        raise GatewayError(502, "upstream_malformed", "upstream sent a bad tool call")
    legacy = delta.pop("function_call", None)
    parts: list[tuple[int, Any]] = []
    for position, call in enumerate(calls):
        if not isinstance(call, dict):
            raise GatewayError(502, "upstream_malformed", "upstream sent a bad tool call")
        slot = call.get("index", position)
        parts.append((slot if isinstance(slot, int) and slot >= 0 else position, call))
    if legacy is not None:
        parts.append((_LEGACY_SLOT, {"function": legacy}))
    for slot, call in parts:
        entry = held.setdefault((choice, slot), _HeldCall())
        entry.id = call.get("id", entry.id)
        entry.type = call.get("type", entry.type)
        fn = call.get("function")
        if fn is None:
            continue
        if not isinstance(fn, dict):
            raise GatewayError(502, "upstream_malformed", "upstream sent a bad tool call")
        for key, into in (("name", entry.name), ("arguments", entry.arguments)):
            value = fn.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise GatewayError(502, "upstream_malformed", "upstream sent a bad tool call")
            into.append(value)


def _release_tool_arguments(
    gw: _Gateway,
    delta: dict[str, Any],
    choice: int,
    held: dict[tuple[int, int], _HeldCall],
    route: Route,
    trace: _Trace,
) -> None:
    """The choice finished: check each held call against the tool policy, scan its whole
    arguments and send it as one fragment."""
    keys = [key for key in sorted(held) if key[0] == choice]
    if not keys:
        return
    out: list[dict[str, Any]] = []
    for key in keys:
        entry = held.pop(key)
        name = "".join(entry.name)
        arguments = "".join(entry.arguments)
        if key[1] == _LEGACY_SLOT:
            where = f"choices[{choice}].delta.function_call"
        else:
            where = f"choices[{choice}].delta.tool_calls[{key[1]}]"
        gw.check_tool(name, arguments, route, trace, where)
        checked = gw.scan(arguments, Direction.OUTPUT, route, trace, f"{where}.arguments")
        fn = {"name": name, "arguments": checked}
        if key[1] == _LEGACY_SLOT:
            delta["function_call"] = fn
            continue
        call: dict[str, Any] = {"index": key[1], "function": fn}
        if entry.id is not None:
            call["id"] = entry.id
        if entry.type is not None:
            call["type"] = entry.type
        out.append(call)
    if out:
        delta["tool_calls"] = out


def _flush_chunk(index: int, text: str, endpoint: str, key: str) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": index, "finish_reason": None}
    if endpoint == "completions":
        choice["text"] = text
    else:
        choice["delta"] = {key: text}
    kind = "text_completion" if endpoint == "completions" else "chat.completion.chunk"
    return {"object": kind, "choices": [choice]}


async def _raw_stream(
    gw: _Gateway, upstream: httpx.Response, route: Route, trace: _Trace
) -> AsyncIterator[bytes]:
    """Pass an unguarded route's stream through as bytes."""
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.TimeoutException:
        trace.status, trace.code = 504, "upstream_timeout"
        yield b"\n\n" + _sse_error(504, "upstream_timeout", "upstream stream stalled")
    except httpx.HTTPError as exc:
        trace.status, trace.code = 502, "upstream_error"
        yield b"\n\n" + _sse_error(502, "upstream_error", f"upstream failed: {type(exc).__name__}")
    finally:
        await upstream.aclose()
        gw.record(trace)


MAX_UPSTREAM_BODY = 32 << 20  # a completion, not a download
MAX_SSE_LINE = 4 << 20


def _upstream_fault(
    gw: _Gateway, route: Route, exc: httpx.HTTPError, broken: str, code: str
) -> GatewayError:
    """The OpenAI-style error for an upstream that timed out (504) or broke (502), counted
    in the upstream-error metric as ``timeout`` or ``broken``."""
    if isinstance(exc, httpx.TimeoutException):
        gw.metrics.upstream_errors.labels(route.name, "timeout").inc()
        return GatewayError(504, "upstream_timeout", f"upstream {route.name} timed out")
    gw.metrics.upstream_errors.labels(route.name, broken).inc()
    return GatewayError(502, code, f"upstream {route.name}: {type(exc).__name__}")


async def _read_capped(resp: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.aiter_bytes():
        size += len(chunk)
        if size > MAX_UPSTREAM_BODY:
            raise GatewayError(502, "upstream_too_large", "upstream answer is over the size cap")
        chunks.append(chunk)
    return b"".join(chunks)


async def _sse_batches(resp: httpx.Response) -> AsyncIterator[list[str]]:
    """The lines of an SSE body, those of one upstream read together; each line at most
    ``MAX_SSE_LINE`` bytes (an upstream that never sends a newline cannot make the gateway
    buffer without bound)."""
    pending = b""
    async for chunk in resp.aiter_bytes():
        pending += chunk
        *lines, pending = pending.split(b"\n")
        if lines:
            yield [line.rstrip(b"\r").decode("utf-8", "replace") for line in lines]
        if len(pending) > MAX_SSE_LINE:
            raise GatewayError(502, "upstream_malformed", "upstream sent an over-long SSE line")
    if pending:
        yield [pending.rstrip(b"\r").decode("utf-8", "replace")]


def _upstream_status(route: Route, resp: httpx.Response, body: bytes) -> GatewayError | None:
    if resp.status_code < 400:
        return None
    if resp.status_code in (401, 403, 407) or resp.status_code >= 500:
        return GatewayError(
            502, "upstream_error", f"upstream {route.name} answered HTTP {resp.status_code}"
        )
    try:
        doc = json.loads(body)
        message = doc["error"]["message"]
        if not isinstance(message, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        message = f"upstream {route.name} refused the request (HTTP {resp.status_code})"
    status = resp.status_code if resp.status_code in (400, 404, 413, 422, 429) else 400
    return GatewayError(status, "upstream_refused", message[:1000])


# Keyed per process: a digest an auditor could test guessed prompts against would leak them;
# the monitor only counts distinct digests per key and hour, so replicas need not agree.
_FP_KEY = os.urandom(32)


def _prompt_fingerprint(doc: dict[str, Any]) -> str:
    """A 64-bit keyed digest of what the caller asked (messages, prompt or input)."""
    prompt = doc.get("messages", doc.get("prompt", doc.get("input")))
    text = json.dumps(prompt, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), key=_FP_KEY, digest_size=8).hexdigest()


async def _model_call(gw: _Gateway, request: Request, endpoint: Endpoint) -> Response:
    """The answer to one model call. Every call is recorded exactly once: a stream when it
    ends, any other answer after it was sent (the client does not wait for the audit
    event and metrics: ``_record_after_send``), a call that raised at once."""
    trace = _Trace(endpoint)
    try:
        response = await _answer(gw, request, endpoint, trace)
    except BaseException:
        gw.record(trace)
        raise
    if not isinstance(response, _EventStream):
        response.background = _record_after_send(gw, trace)
    return response


async def _answer(gw: _Gateway, request: Request, endpoint: Endpoint, trace: _Trace) -> Response:
    try:
        raw = await _read_body(request, gw.settings.max_body_bytes)
        body: ChatRequest | CompletionRequest | EmbeddingRequest
        if endpoint == "chat":
            doc, body = _parse(raw, ChatRequest)
        elif endpoint == "completions":
            doc, body = _parse(raw, CompletionRequest)
        else:
            doc, body = _parse(raw, EmbeddingRequest)
        trace.model = body.model
        caller = await gw.authenticate(request, trace)
        trace.prompt_fp = _prompt_fingerprint(doc)  # for callers who are who they say
        route = gw.settings.route_for(body.model)
        if route is None:
            raise GatewayError(404, "model_not_found", "no route serves this model", param="model")
        trace.route = route.name
        trace.guard = route.policy.guard
        trace.ctx.principal, trace.ctx.route = caller.principal, route.name
        if len(raw) > route.max_body_bytes:
            raise GatewayError(413, "body_too_large", f"over {route.max_body_bytes} bytes")
        gw.authorize(caller, body.model)
        max_tokens = 0
        if isinstance(body, ChatRequest):
            _check_images(body, route)
            gw.authorize_tools(caller, _offered_tools(body, doc))
            max_tokens = body.max_completion_tokens or body.max_tokens or 0
        elif isinstance(body, CompletionRequest):
            max_tokens = body.max_tokens or 0
        if max_tokens > route.policy.max_tokens:
            raise GatewayError(
                400,
                "max_tokens_too_large",
                f"max_tokens is over this route's limit of {route.policy.max_tokens}",
                param="max_tokens",
            )
        n = getattr(body, "n", None) or 1
        gw.check_audit(route, trace)  # before the limiter: a refused call uses no quota
        await gw.admit(caller, len(raw) // 4 + max_tokens * n, route, trace)
        if isinstance(body, ChatRequest):
            _guard_chat_input(gw, doc, route, trace)
        elif isinstance(body, CompletionRequest):
            prompts = [doc["prompt"]] if isinstance(doc["prompt"], str) else doc["prompt"]
            scanned = [
                gw.scan(p, Direction.INPUT, route, trace, f"prompt[{i}]")
                for i, p in enumerate(prompts)
            ]
            doc["prompt"] = scanned[0] if isinstance(doc["prompt"], str) else scanned
        else:
            inputs = [doc["input"]] if isinstance(doc["input"], str) else doc["input"]
            scanned = [
                gw.scan(t, Direction.INPUT, route, trace, f"input[{i}]")
                for i, t in enumerate(inputs)
            ]
            doc["input"] = scanned[0] if isinstance(doc["input"], str) else scanned
        stream = bool(getattr(body, "stream", False)) and endpoint != "embeddings"
        payload = compact_json(doc).encode()
        upstream = gw.upstreams[route.name]
        t_up = time.perf_counter()
        try:
            resp = await upstream.send(endpoint, payload)
        except httpx.HTTPError as exc:
            raise _upstream_fault(gw, route, exc, "connect", "upstream_unreachable") from None
        ctype = resp.headers.get("content-type", "")
        if stream and resp.status_code == 200 and ctype.startswith("text/event-stream"):
            trace.upstream_s = time.perf_counter() - t_up
            gen = (
                _guarded_stream(gw, resp, route, trace, endpoint)
                if route.policy.guard
                else _raw_stream(gw, resp, route, trace)
            )
            return _EventStream(gen, resp, lambda: gw.record(trace))
        try:
            content = await _read_capped(resp)
        except httpx.HTTPError as exc:
            raise _upstream_fault(gw, route, exc, "reset", "upstream_error") from None
        finally:
            await resp.aclose()
        trace.upstream_s = time.perf_counter() - t_up
        refused = _upstream_status(route, resp, content)
        if refused is not None:
            gw.metrics.upstream_errors.labels(route.name, f"http_{resp.status_code}").inc()
            raise refused
        if stream:
            gw.metrics.upstream_errors.labels(route.name, "malformed").inc()
            raise GatewayError(502, "upstream_malformed", "upstream did not answer with a stream")
        try:
            out = json.loads(content)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            gw.metrics.upstream_errors.labels(route.name, "malformed").inc()
            raise GatewayError(502, "upstream_malformed", "upstream sent invalid JSON") from None
        if route.policy.guard:
            _guard_output(gw, out, route, trace, endpoint)
        elif not isinstance(out, dict):
            raise GatewayError(502, "upstream_malformed", "upstream answered with a non-object")
        trace.usage = _usage(out)
        return Response(compact_json(out).encode(), media_type="application/json")
    except GatewayError as exc:
        trace.status, trace.code = exc.status, exc.code
        if exc.code.startswith("guard_") and exc.status == 400:
            trace.decision = "block"
        return error_response(exc)
    except GatewayRefusal as exc:
        trace.status, trace.code = exc.status, exc.code
        return error_response(
            GatewayError(exc.status, exc.code, exc.message, retry_after=exc.retry_after)
        )


def _record_after_send(gw: _Gateway, trace: _Trace) -> BackgroundTask:
    """The response's background task that records a finished request once it was sent
    (a coroutine: Starlette awaits it inline instead of handing it to a thread). The
    model-call path also runs it when sending fails; recording twice is a no-op
    (``_Gateway.record``)."""

    async def record() -> None:
        gw.record(trace)

    return BackgroundTask(record)


_SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


class _EventStream(Response):
    """An SSE response sent straight to the ASGI ``send``: a client that hangs up cancels
    the stream (and with it the upstream call) through one watcher task, instead of
    Starlette's task group per response."""

    def __init__(
        self, events: AsyncIterator[bytes], upstream: httpx.Response, finish: Callable[[], None]
    ) -> None:
        super().__init__(status_code=200, media_type="text/event-stream")
        self.events = events
        self.upstream = upstream
        self.finish = finish  # records the request; runs once (also if events never started)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 - called from a task
        gone = False

        async def watch() -> None:
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            task.cancel()

        watcher = asyncio.ensure_future(watch())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
            ended = False
            async for chunk in self.events:
                ended = isinstance(chunk, _Last)
                await send({"type": "http.response.body", "body": chunk, "more_body": not ended})
                if ended:
                    break
            if not ended:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not gone:
                raise
            task.uncancel()  # the client left: nothing more to send, and no error
        finally:
            watcher.cancel()
            aclose = getattr(self.events, "aclose", None)
            if aclose is not None:
                await aclose()
            await self.upstream.aclose()
            self.finish()


_Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


class _GatewayApp(FastAPI):
    """FastAPI, with the model endpoints served without its routing and middleware.

    ``POST`` on a path in ``fast`` goes straight to its handler (FastAPI's dependency
    solving, middleware stack and exception layers cost a third of a millisecond a
    request); the same handlers stay registered as FastAPI routes, so the OpenAPI
    document is unchanged and any other path or method takes the usual way. App-wide
    middleware therefore does not see model calls: put what they need in ``_model_call``.
    """

    fast: dict[str, _Handler]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            handler = self.fast.get(scope["path"])
            if handler is not None:
                await handler(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


def _with_demo_header(send: Send) -> Send:
    async def demo_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                *message.get("headers", ()),
                (DEMO_HEADER.lower().encode(), DEMO_NOTE.encode()),
            ]
            message = {**message, "headers": headers}
        await send(message)

    return demo_send


def create_app(
    settings: GatewaySettings,
    authenticator: Authenticator,
    authorizer: ModelAuthorizer,
    limiter: Limiter,
    engine: Engine | None = None,
    *,
    audit: AuditWriter | None = None,
) -> FastAPI:
    """The gateway app. ``audit`` defaults to the store's audit log (opened at start)."""
    gw = _Gateway(settings, authenticator, authorizer, limiter, engine, audit)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        gw.start()
        try:
            yield
        finally:
            await gw.stop()

    app = _GatewayApp(
        title="aisec gateway",
        version="1",
        description="OpenAI-compatible gateway: authenticate, authorize, limit, guard, audit.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.gateway = gw
    app.fast = {}

    if settings.demo:

        @app.middleware("http")
        async def demo_header(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            response = await call_next(request)
            response.headers[DEMO_HEADER] = DEMO_NOTE
            return response

    def model_route(path: str, endpoint: Endpoint, model: type[BaseModel], summary: str) -> None:
        async def handler(request: Request) -> Response:
            return await _model_call(gw, request, endpoint)

        async def fast(scope: Scope, receive: Receive, send: Send) -> None:
            response = await _model_call(gw, Request(scope, receive), endpoint)
            try:
                await response(scope, receive, _with_demo_header(send) if settings.demo else send)
            finally:
                if response.background is not None:  # the record: a no-op when already done
                    await response.background()

        app.fast[path] = fast

        app.add_api_route(
            path,
            handler,
            methods=["POST"],
            summary=summary,
            openapi_extra=_openapi_body(model),
            responses={
                200: {
                    "description": "The upstream's answer (JSON, or SSE when stream is true)",
                    "content": {
                        "application/json": {"schema": {"type": "object"}},
                        "text/event-stream": {"schema": {"type": "string"}},
                    },
                },
                **_ERROR_RESPONSES,
            },
            response_class=JSONResponse,
        )

    model_route("/v1/chat/completions", "chat", ChatRequest, "Chat completion (stream or not)")
    model_route("/v1/completions", "completions", CompletionRequest, "Text completion")
    model_route("/v1/embeddings", "embeddings", EmbeddingRequest, "Embeddings")

    @app.get("/v1/models", summary="Models the caller may use", responses=_ERROR_RESPONSES)
    async def list_models(request: Request) -> Response:
        trace = _Trace("models")
        try:
            caller = await gw.authenticate(request, trace)
            names = await _known_models(gw)
            allowed = []
            for name in names:
                try:
                    gw.authorize(caller, name)
                except GatewayRefusal:
                    continue
                allowed.append({"id": name, "object": "model", "owned_by": "aisec-gateway"})
            return JSONResponse({"object": "list", "data": allowed})
        except GatewayRefusal as exc:
            trace.status, trace.code = exc.status, exc.code
            return error_response(GatewayError(exc.status, exc.code, exc.message))
        except GatewayError as exc:
            trace.status, trace.code = exc.status, exc.code
            return error_response(exc)

    @app.post(
        "/v1/guard/scan",
        summary="The guard as a service: decide on one text",
        openapi_extra=_openapi_body(GuardScanRequest),
        responses=_ERROR_RESPONSES,
    )
    async def guard_scan(request: Request) -> Response:
        trace = _Trace("guard_scan")
        try:
            raw = await _read_body(request, gw.settings.gateway.max_body_bytes)
            _doc, body = _parse(raw, GuardScanRequest)
            await gw.authenticate(request, trace)
            gw.check_audit(None, trace)
            try:
                decision = gw.engine.scan(body.text, Direction(body.direction))
            except Exception as exc:  # a guard that cannot decide refuses (fail closed)
                raise GatewayError(
                    503, "guard_unavailable", f"guard failed: {type(exc).__name__}"
                ) from None
            trace.note(decision)
            if any(o.error is not None and o.fired for o in decision.outcomes):
                raise GatewayError(503, "guard_unavailable", "guard scanner failed")
            return JSONResponse(decision.to_dict())
        except GatewayRefusal as exc:
            trace.status, trace.code = exc.status, exc.code
            return error_response(GatewayError(exc.status, exc.code, exc.message))
        except GatewayError as exc:
            trace.status, trace.code = exc.status, exc.code
            return error_response(exc)
        finally:
            gw.record(trace)

    @app.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="Store, limiter and upstreams reachable",
        responses={503: {"description": "Not ready (body says which part)"}},
    )
    async def readyz() -> Response:
        checks: dict[str, str] = {}
        sink_error = gw.sink.error if gw.sink is not None else "not started"
        checks["store"] = sink_error or "ok"
        store_ready = getattr(gw.authenticator, "ready", None)  # the API-key store answers
        if sink_error is None and callable(store_ready):
            checks["store"] = await store_ready()
        ready = getattr(gw.limiter, "ready", None)
        if callable(ready):
            try:
                result = ready()
                if asyncio.iscoroutine(result):
                    result = await result
                checks["limiter"] = "ok" if result is not False else "unavailable"
            except Exception as exc:  # readiness reports a failure, never raises
                checks["limiter"] = f"unavailable: {type(exc).__name__}"
        else:
            checks["limiter"] = "ok"
        results = await asyncio.gather(*(_probe(gw, r) for r in gw.settings.routes))
        for route, result in zip(gw.settings.routes, results, strict=True):
            checks[f"upstream:{route.name}"] = result
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
        )

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(gw.metrics.render(), media_type="text/plain; version=0.0.4")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            schemas["Error"] = ERROR_SCHEMA
            for model in (ChatRequest, CompletionRequest, EmbeddingRequest, GuardScanRequest):
                js = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(js.pop("$defs", {}))
                schemas[model.__name__] = js
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


async def _probe(gw: _Gateway, route: Route) -> str:
    assert gw.client is not None  # noqa: S101 - set at start
    try:
        resp = await gw.client.get(
            route.base_url + "/models", headers=dict(route.upstream_headers), timeout=2.0
        )
        await resp.aclose()
    except httpx.HTTPError as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok" if resp.status_code < 500 else f"HTTP {resp.status_code}"


async def _known_models(gw: _Gateway) -> list[str]:
    """Exact model names of the routes, plus what pattern routes' upstreams list (cached)."""
    names: list[str] = []
    for route in gw.settings.routes:
        names += [m for m in route.exact_models if m not in names]
    stamp, cached = gw._models_cache
    if time.monotonic() - stamp > 30:
        cached = {}
        for route in gw.settings.routes:
            if route.has_patterns:
                cached[route.name] = await _upstream_models(gw, route)
        gw._models_cache = (time.monotonic(), cached)
    for route in gw.settings.routes:
        for m in cached.get(route.name, []):
            if m not in names and gw.settings.route_for(m) is route:
                names.append(m)
    return names


async def _upstream_models(gw: _Gateway, route: Route) -> list[str]:
    assert gw.client is not None  # noqa: S101 - set at start
    try:
        resp = await gw.client.get(
            route.base_url + "/models", headers=dict(route.upstream_headers), timeout=2.0
        )
        doc = resp.json()
    except (httpx.HTTPError, ValueError):
        return []
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list):
        return []
    return [
        str(m["id"])[:256]
        for m in data[:1000]
        if isinstance(m, dict) and isinstance(m.get("id"), str)
    ]
