"""Synthetic gateway traffic, recorded as real audit events (keyed hash chain and all).

``normal_trace``: 24 h of requests from 50 keys, each a Poisson process whose rate follows
a day curve (0.5x to 1.5x of the key's norm, norms 0.5 to 3 requests a minute), each key
reusing its own few dozen prompts on two models, token counts log-normal; plus one failed
authentication an hour somewhere. ``extraction``: from a given time one key sends new
prompts at 20x its norm. ``failed_auth_burst``: a burst of 401s.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from aisec.core.audit import GENESIS, AuditLog

T0 = datetime(2026, 11, 30, tzinfo=UTC).timestamp()
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Request:
    t: float
    principal: str
    key: str | None
    status: int
    model: str | None = None
    tokens: int = 0
    prompt: str | None = None  # a prompt digest, as the gateway records it
    decision: str = "allow"
    route: str = "default"
    extra: tuple[tuple[str, object], ...] = ()  # more details (the behaviour fields)
    action: str = "gateway.request"  # or another audited action (its details are ``extra``)


def norms(keys: int = 50, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(0.5, 3.0) / 60 for _ in range(keys)]


def _key_traffic(
    rng: random.Random, k: int, norm: float, start: float, end: float
) -> Iterable[Request]:
    prompts = [f"{k:04x}{i:012x}" for i in range(40)]
    t = start
    while True:
        rate = norm * (1 + 0.5 * math.sin(2 * math.pi * (t - T0) / DAY + k))
        t += rng.expovariate(rate)
        if t >= end:
            return
        yield Request(
            t,
            f"svc{k}",
            f"key{k:04d}",
            200,
            rng.choice(("gpt-a", "gpt-b")),
            int(rng.lognormvariate(5, 0.7)),
            rng.choice(prompts),
        )


def normal_trace(
    keys: int = 50, hours: float = 24, seed: int = 1, extraction: tuple[int, float] | None = None
) -> list[Request]:
    """The clean trace; ``extraction=(key, start)``: that key goes 20x from ``start``."""
    rng = random.Random(seed)
    end = T0 + hours * 3600
    out: list[Request] = []
    for k, norm in enumerate(norms(keys, seed)):
        stop = extraction[1] if extraction and extraction[0] == k else end
        out.extend(_key_traffic(rng, k, norm, T0, stop))
        if extraction and extraction[0] == k:
            t = extraction[1]
            while t < end:
                out.append(
                    Request(
                        t,
                        f"svc{k}",
                        f"key{k:04d}",
                        200,
                        rng.choice(("gpt-a", "gpt-b")),
                        int(rng.lognormvariate(5, 0.7)),
                        f"{rng.getrandbits(64):016x}",  # a new prompt each time
                    )
                )
                t += rng.expovariate(norm * 20)
    out.extend(
        Request(T0 + rng.uniform(0, hours * 3600), "anonymous", None, 401)
        for _ in range(int(hours))
    )
    out.sort(key=lambda r: r.t)
    return out


def failed_auth_burst(start: float, n: int = 100, every_s: float = 0.3) -> list[Request]:
    return [Request(start + i * every_s, "anonymous", None, 401) for i in range(n)]


def _details(r: Request) -> dict[str, object]:
    d: dict[str, object] = {
        "endpoint": "chat",
        "route": r.route,
        "model": r.model or "-",
        "decision": r.decision,
        "status": r.status,
        "code": None if r.status < 400 else "key_invalid",
        "key_prefix": r.key,
        "auth_method": "api_key" if r.key else None,
        "tenant": None,
        "latency_ms": 1.0,
        "upstream_ms": 0.5,
        "guard": True,
    }
    if r.prompt:
        d["prompt_fp"] = r.prompt
    if r.tokens:
        d["usage.prompt"] = r.tokens // 2
        d["usage.completion"] = r.tokens - r.tokens // 2
        d["usage.total"] = r.tokens
    d.update(r.extra)
    return d


def record(log: AuditLog, requests: Iterable[Request], batch: int = 20_000) -> int:
    """Append the requests as ``gateway.request`` events with their own times (the chain
    and its keyed hashes exactly as :meth:`AuditLog.append` writes them); returns the
    number written."""
    written = 0
    rows: list[tuple[object, ...]] = []
    with log.store.read() as conn:
        head = conn.execute(
            "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS)

    def flush() -> None:
        with log.store.write() as conn:
            conn.executemany(
                "INSERT INTO audit_events"
                " (seq, time, actor, action, target, outcome, details, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        rows.clear()

    for r in requests:
        seq += 1
        details = _details(r) if r.action == "gateway.request" else dict(r.extra)
        outcome = "ok" if r.status < 400 else "denied"
        fields = {
            "seq": seq,
            "time": datetime.fromtimestamp(r.t, UTC).isoformat(timespec="microseconds"),
            "actor": r.principal,
            "action": r.action,
            "target": f"{r.route}:{r.model or '-'}",
            "outcome": outcome,
            "details": details,
            "prev_hash": prev,
        }
        rows.append(log.chain_row(fields))
        prev = str(rows[-1][-1])
        written += 1
        if len(rows) >= batch:
            flush()
    if rows:
        flush()
    return written
