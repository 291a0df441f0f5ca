"""Gateway overhead under open-loop load: aisec's gateway vs calling the upstream directly.

Starts the fast upstream (``upstream.py``) and one gateway worker (``serve_gateway.py``,
guard on) as subprocesses, then for each rate sends requests on a fixed arrival schedule
(open loop: request i starts at t0 + i/rate whatever happened to earlier ones, and its
latency counts from that scheduled time, so queueing is not hidden). Each (rate, mode)
runs against the upstream directly and through the gateway; overhead = gateway minus
direct at the same percentile. Optional peer: LiteLLM's proxy from
``benchmarks/.venv-litellm`` (``--litellm``), same upstream, one worker.

    .venv/bin/python benchmarks/gateway/bench.py --duration 10 --rates 100,300,1000

The load generator is a raw asyncio HTTP/1.1 client (keep-alive pool, chunked and
Content-Length bodies) so that it costs little CPU; on a shared 2-core machine it still
competes with the gateway and the upstream, which the results say.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KEY = "sk-bench-0123456789abcdef"
PROMPT = (
    "Summarise the attached quarterly numbers for the board in three short bullet points, "
    "keeping the tone neutral and mentioning the regions that grew the most. "
) * 6  # ~1 KB, like the guard budget's prompt


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Pool:
    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(self, path: str, body: bytes, headers: bytes) -> tuple[int, int]:
        if self.idle:
            reader, writer = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(
            b"POST " + path.encode() + b" HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            b"content-type: application/json\r\n"
            + headers
            + b"content-length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked, close = None, False, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        size = 0
        if length is not None:
            size = len(await reader.readexactly(length))
        elif chunked:
            while True:
                n = int((await reader.readline()).strip().split(b";")[0], 16)
                if n == 0:
                    await reader.readline()
                    break
                size += len(await reader.readexactly(n + 2)) - 2
        else:
            size = len(await reader.read())
            close = True
        if close:
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status, size


async def run_rate(
    port: int, path: str, rate: float, duration: float, stream: bool, key: str | None
) -> dict[str, float]:
    pool = Pool(port)
    body = json.dumps(
        {"model": "bench", "stream": stream, "messages": [{"role": "user", "content": PROMPT}]}
    ).encode()
    headers = f"authorization: Bearer {key}\r\n".encode() if key else b""
    # warm-up: a few sequential requests (connections, caches)
    for _ in range(20):
        await pool.request(path, body, headers)
    n = int(rate * duration)
    lat: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = t0 + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            status, _ = await pool.request(path, body, headers)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors += 1
            kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
            return
        if status != 200:
            errors += 1
            kinds[f"HTTP {status}"] = kinds.get(f"HTTP {status}", 0) + 1
            return
        lat.append(loop.time() - scheduled)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - started
    if kinds:
        print(f"<!-- port {port} rate {rate:g}: errors {kinds} -->", flush=True)
    lat.sort()
    if not lat:
        return {"n": n, "errors": errors, "p50": float("nan"), "p99": float("nan"), "achieved": 0.0}
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {
        "n": n,
        "errors": errors,
        "p50": lat[len(lat) // 2] * 1000,
        "p99": q[98] * 1000,
        "achieved": len(lat) / wall,
    }


def wait_port(port: int, deadline_s: float = 30) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listening on {port}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--rates", default="100,300,1000")
    ap.add_argument("--modes", default="json,stream")
    ap.add_argument("--litellm", action="store_true", help="also LiteLLM's proxy (own venv)")
    args = ap.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    procs: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "AISEC_HOME": tempfile.mkdtemp(prefix="aisec-bench-"),
    }
    try:
        up_port, gw_port = free_port(), free_port()
        procs.append(subprocess.Popen([sys.executable, str(HERE / "upstream.py"), str(up_port)]))
        wait_port(up_port)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "serve_gateway.py"),
                    str(gw_port),
                    f"http://127.0.0.1:{up_port}/v1",
                ],
                env=env,
            )
        )
        wait_port(gw_port)
        targets: list[tuple[str, int, str | None]] = [
            ("direct", up_port, None),
            ("aisec", gw_port, KEY),
        ]
        if args.litellm:
            master = "sk-" + secrets.token_hex(32)  # LiteLLM refuses to start with a weak key
            targets.append(("litellm", start_litellm(procs, up_port, master), master))
        print(f"duration {args.duration:g} s per cell; {os.cpu_count()} CPUs; one worker each\n")
        print(
            "| mode | rate req/s | target | achieved req/s | errors | p50 ms | p99 ms "
            "| overhead p50 ms | overhead p99 ms |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for mode in args.modes.split(","):
            for rate in rates:
                base: dict[str, float] | None = None
                for name, port, key in targets:
                    r = asyncio.run(
                        run_rate(
                            port,
                            "/v1/chat/completions",
                            rate,
                            args.duration,
                            mode == "stream",
                            key,
                        )
                    )
                    if name == "direct":
                        base = r
                        over = ("-", "-")
                    else:
                        assert base is not None
                        over = (f"{r['p50'] - base['p50']:.2f}", f"{r['p99'] - base['p99']:.2f}")
                    print(
                        f"| {mode} | {rate:g} | {name} | {r['achieved']:.0f} | "
                        f"{int(r['errors'])} | {r['p50']:.2f} | {r['p99']:.2f} | "
                        f"{over[0]} | {over[1]} |",
                        flush=True,
                    )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)


def start_litellm(procs: list[subprocess.Popen[bytes]], up_port: int, master: str) -> int:
    venv = ROOT / "benchmarks" / ".venv-litellm" / "bin"
    if not (venv / "litellm").exists():
        raise SystemExit(
            "LiteLLM not installed: python -m venv benchmarks/.venv-litellm && "
            "benchmarks/.venv-litellm/bin/pip install 'litellm[proxy]'"
        )
    cfg = Path(tempfile.mkdtemp()) / "litellm.yaml"
    cfg.write_text(
        "model_list:\n  - model_name: bench\n    litellm_params:\n"
        f"      model: openai/bench\n      api_base: http://127.0.0.1:{up_port}/v1\n"
        "      api_key: none\ngeneral_settings:\n"
        "  master_key: os.environ/LITELLM_MASTER_KEY\n"
    )
    port = free_port()
    procs.append(
        subprocess.Popen(
            [
                str(venv / "litellm"),
                "--config",
                str(cfg),
                "--port",
                str(port),
                "--num_workers",
                "1",
            ],
            env={**os.environ, "LITELLM_MASTER_KEY": master},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    wait_port(port, 240)
    return port


if __name__ == "__main__":
    main()
