"""The gateway's admin API under ``/admin``: principals, API keys, routes, recent decisions.

A caller authenticates as for a model call (API key or JWT) and needs the
``gateway.admin`` permission through its roles: an API key's principal has the roles the
policy's ``access.principals`` gives it, a JWT caller those of its roles claim (built-in
roles and the policy's ``access.roles``; ``access.default_role`` does not apply here).
Every call, refused or not, is one audit event ``gateway.admin.<operation>``; when the
audit log cannot record, nothing is done (503, fail closed). Refusals are in OpenAI's
error shape: 401 as for model calls, 403 ``admin_required``.

No answer holds an API key's hash; a key itself appears once, in the answer that creates
it. Decisions come from the audit log, which holds no prompt or completion text, and only
named fields of it are shown.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import JSONResponse, Response

from aisec.core.errors import AisecError, InputError
from aisec.core.identity import Principal
from aisec.core.policy import AccessRule, GatewayAccessPolicy
from aisec.gateway._apikeys import ApiKeyStore, parse_expiry
from aisec.gateway._app import _Trace
from aisec.gateway._contract import Caller, GatewayRefusal
from aisec.gateway._errors import GatewayError, error_response

if TYPE_CHECKING:
    from aisec.core.audit import AuditLog
    from aisec.core.policy import Policy
    from aisec.gateway._identity import ApiKeyAuthenticator

__all__ = ["PERMISSION", "mount_admin"]

PERMISSION = "gateway.admin"
MAX_BODY = 16 * 1024
_PAGE = 500  # audit rows read per query when looking for decisions
_MAX_SCAN = 20_000  # audit rows one decisions call reads at most (then it hands a cursor)
_PREFIX = re.compile(r"[0-9a-f]{12}")
_NAME = Field(min_length=1, max_length=200)


# -- request and answer shapes (pydantic, for validation and the OpenAPI document) ------


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PageQuery(_Query):
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class KeyQuery(PageQuery):
    principal: str | None = Field(default=None, min_length=1, max_length=200)
    state: Literal["active", "expired", "revoked"] | None = None


class DecisionQuery(_Query):
    principal: str | None = Field(default=None, min_length=1, max_length=200)
    decision: Literal["allow", "redact", "block", "error"] | None = None
    model: str | None = Field(default=None, min_length=1, max_length=256)
    route: str | None = Field(default=None, min_length=1, max_length=100)
    limit: int = Field(default=50, ge=1, le=500)
    before: int | None = Field(
        default=None, ge=1, description="Only decisions older than this seq (the cursor)."
    )


class CreateKeyRequest(BaseModel):
    """``POST /admin/keys``: the same fields as ``aisec access apikey create``."""

    model_config = ConfigDict(extra="forbid")

    principal: str = _NAME
    tenant: str | None = Field(default=None, min_length=1, max_length=200)
    models: list[str] | None = Field(default=None, max_length=100)
    rpm: int | None = Field(default=None, ge=1, le=1_000_000_000)
    tpm: int | None = Field(default=None, ge=1, le=1_000_000_000)
    expires: str | None = Field(
        default=None, max_length=40, description="30d, 12h, 90m, 2w, 1y or an ISO date."
    )


class KeyInfo(BaseModel):
    prefix: str
    principal: str
    tenant: str | None
    models: list[str] | None
    rpm: int | None
    tpm: int | None
    created: str
    expires: str | None
    revoked: str | None
    last_used: str | None
    state: Literal["active", "expired", "revoked"]


class KeyList(BaseModel):
    object: Literal["list"]
    data: list[KeyInfo]
    has_more: bool


class CreatedKey(KeyInfo):
    key: str = Field(description="The API key: shown here once, never again.")


class RevokedKey(KeyInfo):
    changed: bool = Field(description="False when the key was already revoked.")


class Limits(BaseModel):
    rpm: int | None
    tpm: int | None
    tpd: int | None


class KeyCounts(BaseModel):
    active: int
    expired: int
    revoked: int


class PrincipalInfo(BaseModel):
    name: str
    kind: str | None
    roles: list[str]
    admin: bool = Field(description="Whether its roles give gateway.admin.")
    models: list[str] = Field(description="Model globs it may use (its rule, else defaults).")
    tools: list[str] = Field(description="Tool globs it may offer (its rule, else defaults).")
    routes: list[str] = Field(description="Route globs it may reach (its rule, else defaults).")
    limits: Limits
    keys: KeyCounts
    sources: list[Literal["access", "gateway_auth", "api_keys"]]


class PrincipalList(BaseModel):
    object: Literal["list"]
    data: list[PrincipalInfo]
    has_more: bool


class PrincipalDetail(PrincipalInfo):
    api_keys: list[KeyInfo]


class RouteInfo(BaseModel):
    name: str
    models: list[str]
    upstream: str = Field(description="Base URL without credentials or query.")
    upstream_key_env: str | None
    upstream_key_set: bool
    timeout_s: float
    connect_timeout_s: float
    max_body_bytes: int
    max_tokens: int
    guard: bool
    guard_off_reason: str | None
    fail_open: bool
    canary: bool
    spotlight: str
    allowed_image_hosts: list[str]


class RouteList(BaseModel):
    object: Literal["list"]
    data: list[RouteInfo]


class DecisionInfo(BaseModel):
    seq: int
    time: str
    principal: str
    outcome: str
    endpoint: str | None
    route: str | None
    model: str | None
    decision: str | None
    status: int | None
    code: str | None
    key_prefix: str | None
    auth_method: str | None
    tenant: str | None
    latency_ms: float | None
    upstream_ms: float | None
    guard: bool | None
    fail_open: str | None
    scores: dict[str, float]
    usage: dict[str, int]


class DecisionList(BaseModel):
    object: Literal["list"]
    data: list[DecisionInfo]
    next_before: int | None = Field(description="Pass as `before` for older decisions.")


# -- helpers --------------------------------------------------------------------------

_Q = TypeVar("_Q", bound=BaseModel)


def _invalid(exc: ValidationError, where: str) -> GatewayError:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ())) or where
    return GatewayError(400, "invalid_request", f"{loc}: {first.get('msg')}", param=loc)


def _query(request: Request, model: type[_Q]) -> _Q:
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise _invalid(exc, "query") from None


async def _body(request: Request, model: type[_Q]) -> _Q:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise GatewayError(413, "body_too_large", f"request body is over {MAX_BODY} bytes")
    try:
        return model.model_validate_json(bytes(raw))
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise GatewayError(400, "invalid_json", "request body is not valid JSON") from None
        raise _invalid(exc, "body") from None


def _public_url(url: str) -> str:
    """``url`` without user info, query or fragment (where credentials hide)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _json(model: BaseModel, status: int = 200) -> Response:
    return JSONResponse(
        model.model_dump(mode="json"), status_code=status, headers={"Cache-Control": "no-store"}
    )


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    """A flat model's JSON schema, with ``X | None`` as X (query strings have no null)."""
    out: dict[str, Any] = {}
    for name, prop in model.model_json_schema()["properties"].items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        variants = [v for v in prop.pop("anyOf", []) if v.get("type") != "null"]
        if variants:
            prop.update(variants[0])
        if prop.get("default", 0) is None:
            del prop["default"]
        out[name] = prop
    return out


def _parameters(query: type[BaseModel] | None, *path: str) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in path
    ]
    if query is not None:
        params += [
            {"name": n, "in": "query", "required": False, "schema": s}
            for n, s in _schema(query).items()
        ]
    return {"parameters": params}


_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid parameter or body (param names it)", **_ERROR},
    401: {"description": "Missing or invalid credentials", **_ERROR},
    403: {"description": "The caller lacks gateway.admin (code admin_required)", **_ERROR},
    503: {"description": "Authentication, store or audit log unavailable", **_ERROR},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such item", **_ERROR}}


# -- the API --------------------------------------------------------------------------

Action = Callable[[Caller], Awaitable[tuple[Response, str, dict[str, Any]]]]


class _AdminApi:
    def __init__(
        self,
        app: FastAPI,
        keys: ApiKeyStore,
        policy: Policy | None,
        api_keys: ApiKeyAuthenticator | None,
        audit_log: AuditLog | None,
    ) -> None:
        self.app = app
        self.keys = keys
        self.policy = policy
        self.api_keys = api_keys
        self._audit_log = audit_log
        custom = policy.access.roles if policy is not None else {}
        self._custom_roles = tuple((r, frozenset(p)) for r, p in custom.items())
        self._roles = (
            {p.name: (p.kind, list(p.roles)) for p in policy.access.principals} if policy else {}
        )

    def may_administer(self, principal: str, roles: tuple[str, ...]) -> bool:
        granted = Principal(principal, roles=roles, extra_roles=self._custom_roles)
        return PERMISSION in granted.permissions

    async def run(self, request: Request, operation: str, target: str, action: Action) -> Response:
        """Authenticate, check the role, act, and record one audit event whatever happens."""
        gw = request.app.state.gateway
        sink = gw.sink
        actor = "anonymous"
        details: dict[str, Any] = {}
        status: int = 500
        code: str | None = "internal_error"
        try:
            if sink is None or sink.error is not None:
                why = sink.error if sink is not None else "audit sink not started"
                raise GatewayError(503, "audit_unavailable", f"cannot record admin actions: {why}")
            caller = await gw.authenticate(request, _Trace("admin"))  # 503 if it fails
            actor = caller.principal
            details = {"auth_method": caller.auth_method, "key_prefix": caller.key_prefix}
            if not self.may_administer(caller.principal, caller.roles):
                raise GatewayError(
                    403,
                    "admin_required",
                    f"the admin API needs the {PERMISSION} permission (role admin); "
                    f"this caller's roles: {', '.join(caller.roles) or 'none'}",
                )
            response, target, extra = await action(caller)
            details.update(extra)
            status, code = response.status_code, None
            return response
        except GatewayRefusal as exc:
            status, code = exc.status, exc.code
            return error_response(GatewayError(exc.status, exc.code, exc.message))
        except GatewayError as exc:
            status, code = exc.status, exc.code
            return error_response(exc)
        finally:
            if sink is not None:
                outcome = "ok" if status < 400 else ("error" if status >= 500 else "denied")
                details.update(status=status, code=code)
                sink.emit(actor, f"gateway.admin.{operation}", target[:1000], outcome, details)

    # -- principals ----------------------------------------------------------------------
    async def principals(self) -> dict[str, PrincipalInfo]:
        keys = await _store(self.keys.list)
        access = self.policy.gateway_auth if self.policy is not None else None
        rules = {r.name: r for r in access.principals} if access is not None else {}
        names = set(self._roles) | set(rules) | {k.principal for k in keys}
        counts = {n: {"active": 0, "expired": 0, "revoked": 0} for n in names}
        now = datetime.now(UTC)
        for key in keys:
            counts[key.principal][key.state(now)] += 1
        out: dict[str, PrincipalInfo] = {}
        for name in sorted(names):
            kind, roles = self._roles.get(name, (None, []))
            rule = rules.get(name)
            sources: list[Literal["access", "gateway_auth", "api_keys"]] = []
            if name in self._roles:
                sources.append("access")
            if rule is not None:
                sources.append("gateway_auth")
            if any(counts[name].values()):
                sources.append("api_keys")
            defaults = access if access is not None else GatewayAccessPolicy()
            out[name] = PrincipalInfo(
                name=name,
                kind=kind,
                roles=roles,
                admin=self.may_administer(name, tuple(roles)),
                models=_own(rule, "models", defaults.default_models),
                tools=_own(rule, "tools", defaults.default_tools),
                routes=_own(rule, "routes", defaults.default_routes),
                limits=Limits(
                    rpm=rule.rpm if rule else None,
                    tpm=rule.tpm if rule else None,
                    tpd=rule.tpd if rule else None,
                ),
                keys=KeyCounts(**counts[name]),
                sources=sources,
            )
        return out

    # -- decisions -----------------------------------------------------------------------
    def decisions(self, q: DecisionQuery) -> DecisionList:
        from aisec.core.audit import default_log

        log = self._audit_log if self._audit_log is not None else default_log()
        found: list[DecisionInfo] = []
        cursor = q.before if q.before is not None else 2**62
        scanned = 0
        exhausted = False
        by_actor = " AND actor = ?" if q.principal is not None else ""
        sql = (
            "SELECT seq, time, actor, outcome, details FROM audit_events"  # noqa: S608
            f" WHERE action = 'gateway.request'{by_actor} AND seq < ?"
            " ORDER BY seq DESC LIMIT ?"
        )
        with log.store.read() as conn:
            while len(found) < q.limit and scanned < _MAX_SCAN:
                params = (*([q.principal] if q.principal is not None else []), cursor, _PAGE)
                rows = conn.execute(sql, params).fetchall()
                for row in rows:
                    cursor = int(row[0])
                    scanned += 1
                    item = _decision(row)
                    if item is not None and _matches(item, q):
                        found.append(item)
                        if len(found) == q.limit:
                            break
                else:
                    exhausted = len(rows) < _PAGE
                    if exhausted:
                        break
        return DecisionList(object="list", data=found, next_before=None if exhausted else cursor)


def _own(rule: AccessRule | None, what: str, default: list[str]) -> list[str]:
    """A principal's own list of ``what`` (models, tools, routes), else the default."""
    own: list[str] | None = getattr(rule, what) if rule is not None else None
    return list(own) if own is not None else list(default)


def _matches(item: DecisionInfo, q: DecisionQuery) -> bool:
    return (
        (q.decision is None or item.decision == q.decision)
        and (q.model is None or item.model == q.model)
        and (q.route is None or item.route == q.route)
    )


def _decision(row: Any) -> DecisionInfo | None:
    import json

    seq, time, actor, outcome, raw = row
    try:
        d = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(d, dict):
        return None

    def text(key: str) -> str | None:
        v = d.get(key)
        return v if isinstance(v, str) else None

    def number(key: str) -> float | None:
        v = d.get(key)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    status = d.get("status")
    guard = d.get("guard")
    return DecisionInfo(
        seq=int(seq),
        time=str(time),
        principal=str(actor),
        outcome=str(outcome),
        endpoint=text("endpoint"),
        route=text("route"),
        model=text("model"),
        decision=text("decision"),
        status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        code=text("code"),
        key_prefix=text("key_prefix"),
        auth_method=text("auth_method"),
        tenant=text("tenant"),
        latency_ms=number("latency_ms"),
        upstream_ms=number("upstream_ms"),
        guard=guard if isinstance(guard, bool) else None,
        fail_open=text("fail_open"),
        scores={
            k[6:]: float(v)
            for k, v in d.items()
            if k.startswith("score.") and isinstance(v, int | float)
        },
        usage={
            k[6:]: int(v)
            for k, v in d.items()
            if k.startswith("usage.") and isinstance(v, int) and not isinstance(v, bool)
        },
    )


_T = TypeVar("_T")


async def _store(fn: Callable[..., _T], *args: Any) -> _T:
    """A store call off the event loop; a store that fails is 503, bad input 400."""
    try:
        return await asyncio.to_thread(fn, *args)
    except InputError as exc:
        raise GatewayError(400, "invalid_request", exc.message) from None
    except AisecError as exc:
        raise GatewayError(503, "store_unavailable", f"store: {exc.message}") from None


def _page(items: list[_T], q: PageQuery) -> tuple[list[_T], bool]:
    return items[q.offset : q.offset + q.limit], len(items) > q.offset + q.limit


def _routes(request: Request) -> Iterator[RouteInfo]:
    import os

    for route in request.app.state.gateway.settings.routes:
        p = route.policy
        yield RouteInfo(
            name=p.name,
            models=list(p.models),
            upstream=_public_url(p.upstream),
            upstream_key_env=p.api_key_env,
            upstream_key_set=bool(p.api_key_env and os.environ.get(p.api_key_env)),
            timeout_s=p.timeout_s,
            connect_timeout_s=p.connect_timeout_s,
            max_body_bytes=route.max_body_bytes,
            max_tokens=p.max_tokens,
            guard=p.guard,
            guard_off_reason=p.guard_off_reason,
            fail_open=p.fail_open,
            canary=p.canary,
            spotlight=p.spotlight,
            allowed_image_hosts=list(p.allowed_image_hosts),
        )


def mount_admin(
    app: FastAPI,
    keys: ApiKeyStore,
    policy: Policy | None,
    *,
    api_keys: ApiKeyAuthenticator | None = None,
    audit_log: AuditLog | None = None,
) -> None:
    """Add ``/admin`` to a gateway app made by ``create_app``.

    ``keys`` is the API-key store; ``policy`` gives roles and the access rules shown;
    ``api_keys`` (the app's API-key authenticator) forgets a key this worker revokes at
    once; ``audit_log`` is where decisions are read (default: the store's audit log).
    """
    api = _AdminApi(app, keys, policy, api_keys, audit_log)

    def add(
        path: str,
        handler: Callable[[Request], Awaitable[Response]],
        summary: str,
        ok: type[BaseModel],
        *,
        method: str = "GET",
        status: int = 200,
        extra: dict[str, Any] | None = None,
        not_found: bool = False,
    ) -> None:
        responses: dict[int | str, dict[str, Any]] = {
            status: {"model": ok, "description": summary},
            **_REFUSALS,
            **(_NOT_FOUND if not_found else {}),
        }
        app.add_api_route(
            path,
            handler,
            methods=[method],
            summary=summary,
            status_code=status,
            responses=responses,
            openapi_extra=extra,
            tags=["admin"],
            response_class=JSONResponse,
        )

    async def list_principals(request: Request) -> Response:
        async def act(_caller: Caller) -> tuple[Response, str, dict[str, Any]]:
            q = _query(request, PageQuery)
            rows, more = _page(list((await api.principals()).values()), q)
            return _json(PrincipalList(object="list", data=rows, has_more=more)), "principals", {}

        return await api.run(request, "principals.list", "principals", act)

    async def show_principal(request: Request) -> Response:
        name = str(request.path_params["name"])

        async def act(_caller: Caller) -> tuple[Response, str, dict[str, Any]]:
            info = (await api.principals()).get(name)
            if info is None:
                raise GatewayError(404, "principal_not_found", "no such principal", param="name")
            keys = await _store(api.keys.list, name)
            detail = PrincipalDetail(
                **info.model_dump(),
                api_keys=[KeyInfo(**k.to_dict()) for k in keys if k.principal == name],
            )
            return _json(detail), name, {}

        return await api.run(request, "principals.show", name, act)

    async def list_keys(request: Request) -> Response:
        async def act(_caller: Caller) -> tuple[Response, str, dict[str, Any]]:
            q = _query(request, KeyQuery)
            infos = [KeyInfo(**k.to_dict()) for k in await _store(api.keys.list, q.principal)]
            infos = [k for k in infos if q.state is None or k.state == q.state]
            rows, more = _page(infos, q)
            return _json(KeyList(object="list", data=rows, has_more=more)), "api_keys", {}

        return await api.run(request, "keys.list", "api_keys", act)

    async def create_key(request: Request) -> Response:
        async def act(_caller: Caller) -> tuple[Response, str, dict[str, Any]]:
            body = await _body(request, CreateKeyRequest)
            try:
                expires = parse_expiry(body.expires) if body.expires is not None else None
            except InputError as exc:
                raise GatewayError(400, "invalid_request", exc.message, param="expires") from None
            key, stored = await _store(
                lambda: api.keys.create(
                    body.principal,
                    tenant=body.tenant,
                    models=body.models,
                    rpm=body.rpm,
                    tpm=body.tpm,
                    expires=expires,
                )
            )
            info = stored.to_dict()
            created = CreatedKey(key=key, **info)
            details = {
                "principal": stored.principal,
                "tenant": stored.tenant,
                "models": ",".join(info["models"]) if info["models"] is not None else None,
                "rpm": stored.rpm,
                "tpm": stored.tpm,
                "expires": info["expires"],
            }
            return _json(created, 201), stored.prefix, details

        return await api.run(request, "keys.create", "api_keys", act)

    async def revoke_key(request: Request) -> Response:
        prefix = str(request.path_params["prefix"])

        async def act(_caller: Caller) -> tuple[Response, str, dict[str, Any]]:
            if not _PREFIX.fullmatch(prefix):
                raise GatewayError(
                    400, "invalid_prefix", "an API-key prefix is 12 hex digits", param="prefix"
                )
            if await _store(api.keys.get, prefix) is None:
                raise GatewayError(404, "key_not_found", "no API key with this prefix")
            stored, changed = await _store(api.keys.revoke, prefix)
            if api.api_keys is not None:
                api.api_keys.forget(prefix)  # this worker refuses it from now on
            out = RevokedKey(changed=changed, **stored.to_dict())
            details = {"principal": stored.principal, "already_revoked": not changed}
            return _json(out), prefix, details

        return await api.run(request, "keys.revoke", prefix[:40], act)

    async def list_routes(request: Request) -> Response:
        async def act(_caller: Caller) -> tuple[Response, str, dict[str, Any]]:
            return _json(RouteList(object="list", data=list(_routes(request)))), "routes", {}

        return await api.run(request, "routes.list", "routes", act)

    async def list_decisions(request: Request) -> Response:
        async def act(_caller: Caller) -> tuple[Response, str, dict[str, Any]]:
            q = _query(request, DecisionQuery)
            result = await _store(api.decisions, q)
            filters = q.model_dump(exclude_none=True, exclude={"limit"})
            return _json(result), "decisions", {f"filter.{k}": v for k, v in filters.items()}

        return await api.run(request, "decisions.list", "decisions", act)

    add(
        "/admin/principals",
        list_principals,
        "Principals: roles, allowed models and tools, limits, key counts",
        PrincipalList,
        extra=_parameters(PageQuery),
    )
    add(
        "/admin/principals/{name:path}",
        show_principal,
        "One principal and its API keys",
        PrincipalDetail,
        extra=_parameters(None, "name"),
        not_found=True,
    )
    add(
        "/admin/keys",
        list_keys,
        "API keys (prefix, owner, limits, expiry, revocation; never the key)",
        KeyList,
        extra=_parameters(KeyQuery),
    )
    add(
        "/admin/keys",
        create_key,
        "Create an API key (the key is in this answer only)",
        CreatedKey,
        method="POST",
        status=201,
        extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _body_schema(CreateKeyRequest)}},
            }
        },
    )
    add(
        "/admin/keys/{prefix}/revoke",
        revoke_key,
        "Revoke an API key (every worker refuses it within 1 s)",
        RevokedKey,
        method="POST",
        extra=_parameters(None, "prefix"),
        not_found=True,
    )
    add("/admin/routes", list_routes, "The policy's routes (read-only)", RouteList)
    add(
        "/admin/decisions",
        list_decisions,
        "Recent decisions from the audit log, newest first (no prompt text)",
        DecisionList,
        extra=_parameters(DecisionQuery),
    )


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    return schema
