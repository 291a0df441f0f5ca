"""Rate limits and token quotas, in memory and on a real Redis shared by two limiters.

Redis comes from ``AISEC_TEST_REDIS_URL`` (else a server on 127.0.0.1:6379 if one
answers); with ``AISEC_REQUIRE_REDIS=1`` a missing server fails instead of skipping.
Every test counts under fresh random key prefixes, so runs never share counters.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import threading

import pytest

from aisec.core.errors import ConfigError
from aisec.core.policy import GatewayAccessPolicy
from aisec.gateway import RateLimiter
from aisec.gateway._contract import Caller, GatewayRefusal


def _caller(**kw: object) -> Caller:
    fields: dict[str, object] = {"principal": f"p-{secrets.token_hex(4)}"}
    fields["key_prefix"] = secrets.token_hex(6)
    fields.update(kw)
    return Caller(**fields)  # type: ignore[arg-type]


async def _outcomes(limiter: RateLimiter, caller: Caller, n: int, tokens: int = 1) -> list[object]:
    async def one() -> object:
        try:
            await limiter.admit(caller, tokens)
        except GatewayRefusal as exc:
            return (exc.status, exc.code)
        return "ok"

    return list(await asyncio.gather(*(one() for _ in range(n))))


def test_burst_of_200_across_two_limiters_sharing_redis_admits_exactly_50(redis_url: str) -> None:
    """Two limiters (as in two gateway processes), each on its own thread and event loop,
    share one Redis: 200 parallel requests on a 50/min key → exactly 50 admitted."""
    policy = GatewayAccessPolicy()
    caller = _caller(rpm=50)
    results: list[list[object]] = [[], []]
    limiters = [RateLimiter(policy, redis_url=redis_url, timeout_s=30.0) for _ in range(2)]

    def worker(i: int) -> None:
        results[i] = asyncio.run(_outcomes(limiters[i], caller, 100))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    outcomes = results[0] + results[1]
    assert len(outcomes) == 200
    assert outcomes.count("ok") == 50, sorted(set(map(str, outcomes)))
    assert outcomes.count((429, "rate_limit_key_rpm")) == 150


def test_memory_limiter_burst_admits_exactly_the_limit() -> None:
    limiter = RateLimiter(GatewayAccessPolicy(), redis_url="")
    outcomes = asyncio.run(_outcomes(limiter, _caller(rpm=17), 100))
    assert outcomes.count("ok") == 17


def test_refusal_says_when_to_retry(redis_url: str) -> None:
    limiter = RateLimiter(GatewayAccessPolicy(), redis_url=redis_url)
    caller = _caller(rpm=1)

    async def go() -> GatewayRefusal:
        await limiter.admit(caller, 1)
        with pytest.raises(GatewayRefusal) as info:
            await limiter.admit(caller, 1)
        return info.value

    refusal = asyncio.run(go())
    assert (refusal.status, refusal.code) == (429, "rate_limit_key_rpm")
    assert refusal.retry_after is not None and 1.0 <= refusal.retry_after <= 60.0


def test_tokens_per_minute_per_key(redis_url: str) -> None:
    limiter = RateLimiter(GatewayAccessPolicy(), redis_url=redis_url)
    caller = _caller(tpm=100)

    async def go() -> list[object]:
        return [await _one(limiter, caller, 30) for _ in range(4)]

    assert asyncio.run(go()) == ["ok", "ok", "ok", (429, "rate_limit_key_tpm")]


async def _one(limiter: RateLimiter, caller: Caller, tokens: int) -> object:
    try:
        await limiter.admit(caller, tokens)
    except GatewayRefusal as exc:
        return (exc.status, exc.code)
    return "ok"


def test_request_bigger_than_the_token_quota_is_refused_outright() -> None:
    limiter = RateLimiter(GatewayAccessPolicy(), redis_url="")
    with pytest.raises(GatewayRefusal) as info:
        asyncio.run(limiter.admit(_caller(tpm=100), 101))
    assert (info.value.status, info.value.code) == (429, "rate_limit_key_tpm")


def test_tokens_per_day_from_policy_defaults(redis_url: str) -> None:
    policy = GatewayAccessPolicy.model_validate({"limits": {"tpd": 50}})
    limiter = RateLimiter(policy, redis_url=redis_url)
    caller = _caller()

    async def go() -> list[object]:
        return [await _one(limiter, caller, 20) for _ in range(3)]

    assert asyncio.run(go()) == ["ok", "ok", (429, "rate_limit_key_tpd")]


def test_principal_limit_is_shared_by_all_its_keys(redis_url: str) -> None:
    name = f"svc-{secrets.token_hex(4)}"
    policy = GatewayAccessPolicy.model_validate({"principals": [{"name": name, "rpm": 3}]})
    limiter = RateLimiter(policy, redis_url=redis_url)
    keys = [_caller(principal=name) for _ in range(3)]

    async def go() -> list[object]:
        return [await _one(limiter, keys[i % 3], 1) for i in range(5)]

    assert asyncio.run(go()) == ["ok"] * 3 + [(429, "rate_limit_principal_rpm")] * 2


def test_tenant_token_quota_is_shared_by_its_principals(redis_url: str) -> None:
    tenant = f"t-{secrets.token_hex(4)}"
    policy = GatewayAccessPolicy.model_validate({"tenants": [{"name": tenant, "tpm": 100}]})
    limiter = RateLimiter(policy, redis_url=redis_url)

    async def go() -> list[object]:
        return [await _one(limiter, _caller(tenant=tenant), 40) for _ in range(3)]

    assert asyncio.run(go()) == ["ok", "ok", (429, "rate_limit_tenant_tpm")]


def test_jwt_caller_gets_the_default_per_caller_limit() -> None:
    policy = GatewayAccessPolicy.model_validate({"limits": {"rpm": 2}})
    limiter = RateLimiter(policy, redis_url="")
    caller = Caller(principal="alice", auth_method="jwt")
    outcomes = asyncio.run(_outcomes(limiter, caller, 5))
    assert outcomes.count("ok") == 2


def test_redis_unreachable_fails_closed_with_503() -> None:
    with socket.socket() as s:  # a loopback port that was free a moment ago: closed now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    limiter = RateLimiter(GatewayAccessPolicy(), redis_url=f"redis://127.0.0.1:{port}")
    with pytest.raises(GatewayRefusal) as info:
        asyncio.run(limiter.admit(_caller(rpm=10), 1))
    assert (info.value.status, info.value.code) == (503, "limiter_unavailable")
    assert asyncio.run(limiter.ready()) is False


def test_redis_url_from_environment(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    monkeypatch.setenv("AISEC_REDIS_URL", redis_url)
    limiter = RateLimiter(GatewayAccessPolicy())
    assert limiter.shared
    assert asyncio.run(limiter.ready()) is True


def test_unsupported_redis_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="AISEC_REDIS_URL"):
        RateLimiter(GatewayAccessPolicy(), redis_url="http://127.0.0.1:6379")


_WORKER = """
import asyncio, json, sys
from aisec.core.policy import GatewayAccessPolicy
from aisec.gateway import RateLimiter
from aisec.gateway._contract import Caller, GatewayRefusal

url, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
limiter = RateLimiter(GatewayAccessPolicy(), redis_url=url, timeout_s=30.0)
caller = Caller("app1", key_prefix=prefix, rpm=50)
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()  # both processes start their burst together

async def one():
    try:
        await limiter.admit(caller, 1)
    except GatewayRefusal as exc:
        return exc.code
    return "ok"

async def main():
    return await asyncio.gather(*(one() for _ in range(n)))

print(json.dumps(asyncio.run(main())))
"""


def test_burst_of_200_across_two_processes_sharing_redis_admits_exactly_50(
    redis_url: str,
) -> None:
    """As two gateway processes would: 100 parallel requests each, one 50/min key."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    import aisec

    env = dict(os.environ, PYTHONPATH=str(Path(aisec.__file__).resolve().parents[1]))
    prefix = secrets.token_hex(6)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, redis_url, prefix, "100"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outcomes: list[str] = []
        for p in procs:
            out, _ = p.communicate(timeout=120)
            outcomes += json.loads(out.splitlines()[-1])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert len(outcomes) == 200
    assert outcomes.count("ok") == 50
    assert outcomes.count("rate_limit_key_rpm") == 150
