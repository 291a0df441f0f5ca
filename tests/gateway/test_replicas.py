"""Acceptance 3 over HTTP: two ``aisec up`` processes sharing one store (``AISEC_HOME``) and
one real Redis. A 50/min key gets exactly 50 of 200 parallel requests spread over both; a
key revoked with the CLI is refused by both within 1 s.

Redis comes from ``AISEC_TEST_REDIS_URL`` (else 127.0.0.1:6379 if one answers); with
``AISEC_REQUIRE_REDIS=1`` a missing server fails instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from conftest import Upstream

SRC = str(Path(__file__).resolve().parents[2] / "src")
BODY = {"model": "echo", "messages": [{"role": "user", "content": "Hello"}]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _aisec(env: dict[str, str], *args: str) -> str:
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


@contextmanager
def _gateways(env: dict[str, str], n: int, upstream_url: str, *extra: str) -> Iterator[list[str]]:
    """``n`` real ``aisec up`` processes on free ports; their base URLs once all answer."""
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    up_args = ["--upstream", upstream_url, *extra]
    try:
        for _ in range(n):
            port = _free_port()
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
        yield urls
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": SRC, "AISEC_HOME": str(tmp_path / "home")}
    env.pop("AISEC_REDIS_URL", None)
    env.update(extra)
    return env


def _create_key(env: dict[str, str], *args: str) -> tuple[str, str]:
    out = _aisec(env, "access", "apikey", "create", "--principal", "replica-test", *args)
    key = out.strip().splitlines()[-1]
    return key, key.split("_")[1]


def _assert_refused_within_1s(env: dict[str, str], urls: list[str], key: str, prefix: str) -> None:
    """Revoke with the CLI (another process), then poll every gateway until it answers
    401 key_revoked; each must within 1 s of the CLI returning."""
    _aisec(env, "access", "apikey", "revoke", prefix)
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
    env = _env(tmp_path, AISEC_REDIS_URL=redis_url)
    with _gateways(env, 2, upstream.url) as urls:
        key, prefix = _create_key(env, "--rpm", "50")
        statuses = asyncio.run(_burst(urls, key, 200))  # alternates between the two
        assert statuses.count(200) == 50, {s: statuses.count(s) for s in set(statuses)}
        assert statuses.count(429) == 150
        _assert_refused_within_1s(env, urls, key, prefix)


def test_revocation_by_the_cli_reaches_a_running_gateway_within_1s(
    tmp_path: Path, upstream: Upstream
) -> None:
    """Without Redis too: the store alone carries a revocation to a running process."""
    env = _env(tmp_path)
    with _gateways(env, 1, upstream.url) as urls:
        key, prefix = _create_key(env)
        headers = {"Authorization": f"Bearer {key}"}
        ok = httpx.post(urls[0] + "/v1/chat/completions", json=BODY, headers=headers)
        assert ok.status_code == 200
        _assert_refused_within_1s(env, urls, key, prefix)


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
    env = _env(tmp_path, TMPDIR=str(tmp))  # where aisec up makes its metrics folder
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with _gateways(env, 1, upstream.url, "--workers", "2") as urls:
        key, _ = _create_key(env)
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
