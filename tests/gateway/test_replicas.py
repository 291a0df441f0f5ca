"""Acceptance 3 over HTTP: two ``aisec up`` processes sharing one store (``AISEC_HOME``) and
one real Redis. A 50/min key gets exactly 50 of 200 parallel requests spread over both; a
key revoked through one's admin API is refused by both within 1 s (and one revoked with the
CLI by a running gateway). Also ``--workers 2`` metrics and draining on SIGTERM.

Redis comes from ``AISEC_TEST_REDIS_URL`` (else 127.0.0.1:6379 if one answers); with
``AISEC_REQUIRE_REDIS=1`` a missing server fails instead of skipping.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from conftest import Upstream, aisec_cli, aisec_up, cli_env, cli_key, policy_file

BODY = {"model": "echo", "messages": [{"role": "user", "content": "Hello"}]}


def _assert_refused_within_1s(urls: list[str], key: str, revoke: Callable[[], None]) -> None:
    """``revoke()``, then poll every gateway until it answers 401 key_revoked; each must
    within 1 s of ``revoke`` returning."""
    revoke()
    revoked_at = time.monotonic()
    refused: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {key}"}
    while len(refused) < len(urls) and time.monotonic() - revoked_at < 1.0:
        for url in urls:
            if url in refused:
                continue
            resp = httpx.post(url + "/v1/chat/completions", json=BODY, headers=headers)
            if resp.status_code == 401:
                assert resp.json()["error"]["code"] == "key_revoked"
                refused[url] = time.monotonic() - revoked_at
    late = {
        u: httpx.post(u + "/v1/chat/completions", json=BODY, headers=headers).text for u in urls
    }
    assert sorted(refused) == sorted(urls), f"refused within 1 s: {refused}; later: {late}"


async def _burst(urls: list[str], key: str, n: int) -> list[int]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def one(i: int) -> int:
            url = urls[i % len(urls)] + "/v1/chat/completions"
            return (await client.post(url, json=BODY, headers=headers)).status_code

        return list(await asyncio.gather(*(one(i) for i in range(n))))


def test_two_replicas_share_the_rate_limit_and_see_a_revocation_within_1s(
    tmp_path: Path, redis_url: str, upstream: Upstream
) -> None:
    env = cli_env(tmp_path, AISEC_REDIS_URL=redis_url)
    policy = policy_file(
        tmp_path, {"access": {"principals": [{"name": "ops", "roles": ["admin"]}]}}
    )
    with aisec_up(env, 2, upstream.url, "--policy", policy) as replicas:
        urls = replicas.urls
        key, prefix = cli_key(env, "--rpm", "50")
        admin, _ = cli_key(env, principal="ops")
        statuses = asyncio.run(_burst(urls, key, 200))  # alternates between the two
        assert statuses.count(200) == 50, {s: statuses.count(s) for s in set(statuses)}
        assert statuses.count(429) == 150

        def revoke_on_the_first() -> None:  # through its admin API
            resp = httpx.post(
                urls[0] + f"/admin/keys/{prefix}/revoke",
                headers={"Authorization": f"Bearer {admin}"},
            )
            assert resp.status_code == 200, resp.text

        _assert_refused_within_1s(urls, key, revoke_on_the_first)


def test_revocation_by_the_cli_reaches_a_running_gateway_within_1s(
    tmp_path: Path, upstream: Upstream
) -> None:
    """Without Redis too: the store alone carries a revocation to a running process."""
    env = cli_env(tmp_path)
    with aisec_up(env, 1, upstream.url) as replicas:
        urls = replicas.urls
        key, prefix = cli_key(env)
        headers = {"Authorization": f"Bearer {key}"}
        ok = httpx.post(urls[0] + "/v1/chat/completions", json=BODY, headers=headers)
        assert ok.status_code == 200

        def revoke_with_the_cli() -> None:  # another process
            aisec_cli(env, "access", "apikey", "revoke", prefix)

        _assert_refused_within_1s(urls, key, revoke_with_the_cli)


def _requests_counted(metrics: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("aisec_gateway_requests_total{")
    )


def test_two_workers_metrics_add_up_every_workers_requests(
    tmp_path: Path, upstream: Upstream
) -> None:
    """``--workers 2``: /metrics, whichever worker answers, counts both workers' requests;
    the metrics folder ``aisec up`` made is gone after it stops."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = cli_env(tmp_path, TMPDIR=str(tmp))  # where aisec up makes its metrics folder
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with aisec_up(env, 1, upstream.url, "--workers", "2") as replicas:
        urls = replicas.urls
        key, _ = cli_key(env)
        (metrics_dir,) = tmp.glob("aisec-metrics-*")

        def workers_counting() -> set[str]:
            return {p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("counter_*.db")}

        sent = 0
        deadline = time.monotonic() + 60
        while len(workers_counting()) < 2:  # until both workers have served requests
            assert time.monotonic() < deadline, "one worker served every request"
            statuses = asyncio.run(_burst(urls, key, 20))
            assert statuses == [200] * 20
            sent += 20
        for _ in range(6):  # a new connection each: either worker may answer
            text = httpx.get(urls[0] + "/metrics").text
            assert _requests_counted(text) == sent
    assert not metrics_dir.exists()


def test_sigterm_drains_an_in_flight_stream(tmp_path: Path, upstream: Upstream) -> None:
    """SIGTERM to ``aisec up`` while a stream is under way: the stream completes, then the
    process exits."""
    env = cli_env(tmp_path)
    policy = policy_file(tmp_path, {"gateway": {"stream_window_chars": 16}})
    with aisec_up(env, 1, upstream.url, "--policy", policy) as replicas:
        key, _ = cli_key(env)
        body = {**BODY, "model": "paced", "stream": True}
        headers = {"Authorization": f"Bearer {key}"}
        url = replicas.urls[0] + "/v1/chat/completions"
        with httpx.stream("POST", url, json=body, headers=headers, timeout=30) as resp:
            chunks = resp.iter_raw()
            first = next(chunks)
            assert b"[DONE]" not in first  # the stream is under way
            replicas.procs[0].send_signal(signal.SIGTERM)
            raw = first + b"".join(chunks)
        assert raw.endswith(b"data: [DONE]\n\n")
        assert replicas.procs[0].wait(30) in (0, -signal.SIGTERM)
