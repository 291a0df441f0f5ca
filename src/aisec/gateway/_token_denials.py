"""The JWT deny list: aisec cannot revoke a token its identity provider signed, so the
gateway refuses, after verifying it, a token whose subject was denied (every token of that
subject issued before the denial's ``not_before``) or whose ``jti`` was denied.

Entries live in the store (``token_denials``), shared by every replica like API keys; a
replica re-reads the entries about a subject and a token at most every
:data:`CACHE_TTL_S`, so a denial is enforced everywhere within 1 s. A token without ``iat``
from a denied subject cannot prove it was issued after the denial and is refused for as
long as the entry stands. A subject's entry only moves forward (a later denial raises
``not_before``); tokens issued after it are accepted again, so the principal can be let
back in by its identity provider without touching the deny list.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aisec.core.errors import AisecError, InputError
from aisec.gateway._bearer import UNAUTHORIZED
from aisec.gateway._contract import GatewayRefusal

if TYPE_CHECKING:
    from aisec.core.store import Store

__all__ = ["CACHE_TTL_S", "TokenDenial", "TokenDenials", "deny_tokens", "list_token_denials"]

CACHE_TTL_S = 0.5  # a denial reaches every replica within 1 s
_CACHE_MAX = 10_000
_MAX_VALUE = 300
KINDS = ("subject", "jti")


@dataclass(frozen=True, slots=True)
class TokenDenial:
    """One entry: ``kind`` subject or jti, the value, and for a subject the UNIX second
    before which its tokens are refused."""

    kind: str
    value: str
    not_before: int
    reason: str | None
    created_by: str
    created: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "not_before": datetime.fromtimestamp(self.not_before, UTC).isoformat(),
            "reason": self.reason,
            "created_by": self.created_by,
            "created": self.created.isoformat(timespec="seconds"),
        }


def _check_value(kind: str, value: str) -> str:
    if kind not in KINDS:
        raise InputError(f"token deny list: kind must be subject or jti, got {kind!r}")
    if not value or len(value) > _MAX_VALUE or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InputError(
            f"token deny list: a {kind} is 1-{_MAX_VALUE} printable characters, got {value!r:.80}"
        )
    return value


class TokenDenials:
    """The deny list in a store, with a short per-replica cache for the gateway's hot path.
    These methods neither check roles nor audit: :func:`deny_tokens` does both."""

    def __init__(
        self,
        store: Store,
        *,
        cache_ttl_s: float = CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._ttl = cache_ttl_s
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, int | None]] = {}
        self.store_reads = 0  # for tests and metrics

    # -- writes ------------------------------------------------------------------------------
    def deny(
        self,
        kind: str,
        value: str,
        actor: str,
        reason: str | None = None,
        now: datetime | None = None,
    ) -> tuple[TokenDenial, bool]:
        """Deny a subject's tokens issued up to now (``not_before`` is the next whole second,
        so a token issued in the same second is refused too), or one token by ``jti``.
        Returns the entry and whether this call changed it (False: an entry at least as
        recent was there)."""
        _check_value(kind, value)
        now = now or datetime.now(UTC)
        not_before = math.floor(now.timestamp()) + 1
        reason = (reason or "")[:2000] or None
        with self.store.write() as conn:
            row = conn.execute(
                "SELECT not_before FROM token_denials WHERE kind = ? AND value = ?",
                (kind, value),
            ).fetchone()
            changed = row is None or int(row[0]) < not_before
            if row is None:
                conn.execute(
                    "INSERT INTO token_denials (kind, value, not_before, reason, created_by,"
                    " created) VALUES (?, ?, ?, ?, ?, ?)",
                    (kind, value, not_before, reason, actor, conn.time_param(now)),
                )
            elif changed:
                conn.execute(
                    "UPDATE token_denials SET not_before = ?, reason = ?, created_by = ?,"
                    " created = ? WHERE kind = ? AND value = ?",
                    (not_before, reason, actor, conn.time_param(now), kind, value),
                )
        self._cache.pop((kind, value), None)
        found = self.get(kind, value)
        assert found is not None  # noqa: S101 - written above
        return found, changed

    def get(self, kind: str, value: str) -> TokenDenial | None:
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT kind, value, not_before, reason, created_by, created FROM token_denials"
                " WHERE kind = ? AND value = ?",
                (kind, value),
            ).fetchone()
        return None if row is None else _denial(row)

    def list(self, limit: int = 1000) -> list[TokenDenial]:
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT kind, value, not_before, reason, created_by, created FROM token_denials"
                " ORDER BY created DESC LIMIT ?",
                (max(1, min(limit, 100_000)),),
            ).fetchall()
        return [_denial(r) for r in rows]

    # -- the gateway's check -----------------------------------------------------------------
    def _not_before(self, kind: str, value: str) -> int | None:
        self.store_reads += 1
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT not_before FROM token_denials WHERE kind = ? AND value = ?",
                (kind, value),
            ).fetchone()
        return None if row is None else int(row[0])

    async def _cached(self, kind: str, value: str) -> int | None:
        now = self._clock()
        hit = self._cache.get((kind, value))
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        found = await asyncio.to_thread(self._not_before, kind, value)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()  # random jtis must not grow memory without bound
        self._cache[(kind, value)] = (now, found)
        return found

    async def refused(self, subject: str, jti: str | None, iat: int | None) -> str | None:
        """The refusal code for a verified token, or None when it is not denied."""
        if jti is not None and await self._cached("jti", jti) is not None:
            return "token_revoked"
        not_before = await self._cached("subject", subject)
        if not_before is not None and (iat is None or iat < not_before):
            return "token_revoked"
        return None

    async def check(self, subject: str, jti: str | None, iat: int | None) -> None:
        """Raise the gateway's 401 for a denied token; 503 when the store cannot answer
        (fail closed)."""
        try:
            code = await self.refused(subject, jti, iat)
        except (AisecError, ValueError) as exc:
            raise GatewayRefusal(
                503, "auth_store_unavailable", "authentication is unavailable"
            ) from exc
        if code is not None:
            raise GatewayRefusal(401, code, UNAUTHORIZED)


def _denial(row: Any) -> TokenDenial:
    from aisec.core.store import Connection

    return TokenDenial(
        str(row[0]),
        str(row[1]),
        int(row[2]),
        row[3],
        str(row[4]),
        Connection.time_value(row[5]),
    )


def deny_tokens(kind: str, value: str, reason: str | None = None) -> tuple[TokenDenial, bool]:
    """Deny a subject's JWTs issued until now, or one JWT by ``jti``, as the current
    principal (needs ``apikey.manage``; audited as ``token.deny``)."""
    from aisec.core.audit import record
    from aisec.core.authz import authorize
    from aisec.core.store import open_store

    actor = authorize("apikey.manage").name
    _check_value(kind, value)
    store = open_store()
    try:
        entry, changed = TokenDenials(store).deny(kind, value, actor, reason)
    finally:
        store.close()
    record(
        "token.deny",
        f"{kind}:{value}",
        details={"not_before": entry.not_before, "already_denied": not changed},
        actor=actor,
    )
    return entry, changed


def list_token_denials() -> list[TokenDenial]:
    """The deny list, newest first (needs ``apikey.manage``)."""
    from aisec.core.authz import authorize
    from aisec.core.store import open_store

    authorize("apikey.manage")
    store = open_store()
    try:
        return TokenDenials(store).list()
    finally:
        store.close()
