"""Gateway overhead under open-loop load: aisec's gateway and LiteLLM's proxy vs the upstream.

One command runs issue 13's matrix: the fast upstream (``upstream.py``), one aisec worker
(``serve_gateway.py``: guard on, audit on) and one LiteLLM proxy worker in front of the
same upstream; for each mode (JSON, streaming) and rate (default 100, 300, 1,000 req/s,
30 s each) requests go on a fixed arrival schedule (open loop: request i starts at
t0 + i/rate whatever happened to earlier ones, and its latency counts from that scheduled
time, so queueing is not hidden) to the upstream directly, then through each gateway.
Overhead = gateway minus direct at the same percentile; a cell stops at 1.5x its duration
(at least +5 s), what is unfinished then counts as errors. "Saturates at" is the highest
rate at which a target achieved >= 98% of the offered rate with p99 overhead <= 10 ms.

    .venv/bin/python benchmarks/gateway/bench.py                 # the full matrix, ~10 min
    .venv/bin/python benchmarks/gateway/bench.py --duration 5    # a shorter dev run

LiteLLM runs from its own virtualenv (``--litellm-venv``, default /work/peers/litellm);
the script creates it when it is missing (``python3.11 -m venv DIR && DIR/bin/pip install
'litellm[proxy]'``), or ``--no-litellm`` leaves it out. The load generator is a raw
asyncio HTTP/1.1 client (keep-alive pool of at most ``--connections`` connections) so
that it costs little CPU; on a shared machine it still competes with the servers, and
the script prints the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KEY = "sk-bench-0123456789abcdef"
PROMPT = (
    "Summarise the attached quarterly numbers for the board in three short bullet points, "
    "keeping the tone neutral and mentioning the regions that grew the most. "
) * 6  # ~1 KB, like the guard budget's prompt
LITELLM_VENV = Path("/work/peers/litellm")
REQUEST_TIMEOUT_S = 30.0
SATURATION_SHARE = 0.98
SATURATION_P99_MS = 10.0


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
    port: int, rate: float, duration: float, stream: bool, key: str | None, connections: int
) -> dict[str, Any]:
    """Send ``rate * duration`` requests on a fixed schedule; latency from the schedule."""
    pool = Pool(port)
    body = json.dumps(
        {"model": "bench", "stream": stream, "messages": [{"role": "user", "content": PROMPT}]}
    ).encode()
    headers = f"authorization: Bearer {key}\r\n".encode() if key else b""
    path = "/v1/chat/completions"
    for _ in range(20):  # warm-up: connections, caches
        await pool.request(path, body, headers)
    n = int(rate * duration)
    lat: list[float] = []
    kinds: dict[str, int] = {}
    slots = asyncio.Semaphore(connections)  # requests beyond it wait (and their wait counts)
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05

    async def one(i: int) -> None:
        scheduled = t0 + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            async with slots:
                status, _ = await asyncio.wait_for(
                    pool.request(path, body, headers), REQUEST_TIMEOUT_S
                )
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
            kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
            return
        if status != 200:
            kinds[f"HTTP {status}"] = kinds.get(f"HTTP {status}", 0) + 1
            return
        lat.append(loop.time() - scheduled)

    started = loop.time()
    tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
    # a saturated target would take minutes to drain its queue: stop the cell at a deadline
    _, late = await asyncio.wait(tasks, timeout=duration + max(5.0, duration / 2))
    for task in late:
        task.cancel()
    if late:
        kinds["unfinished at the deadline"] = len(late)
        await asyncio.wait(late)
    wall = max(loop.time() - started, duration)
    errors = sum(kinds.values())
    if not lat:
        return {
            "n": n,
            "errors": errors,
            "p50": float("nan"),
            "p99": float("nan"),
            "achieved": 0,
            "wall": wall,
        }
    lat.sort()
    return {
        "n": n,
        "errors": errors,
        "kinds": kinds,
        "p50": statistics.median(lat) * 1000,
        "p99": (
            statistics.quantiles(lat, n=100, method="inclusive")[98] if len(lat) > 1 else lat[0]
        )
        * 1000,
        "achieved": len(lat) / wall,
        "wall": wall,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children (all threads)."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
        return sum(sum(p.cpu_times()[:2]) for p in procs)
    except psutil.Error:
        return float("nan")


def wait_port(port: int, deadline_s: float = 30) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listening on {port}")


def pinned(cpus: set[int] | None) -> Any:
    """A ``preexec_fn`` that keeps a server (and what it starts) on ``cpus``."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def start_aisec(
    procs: list[subprocess.Popen[bytes]], up_port: int, cpus: set[int] | None = None
) -> int:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "AISEC_HOME": tempfile.mkdtemp(prefix="aisec-bench-"),
    }
    cmd = [sys.executable, str(HERE / "serve_gateway.py"), str(port)]
    procs.append(
        subprocess.Popen([*cmd, f"http://127.0.0.1:{up_port}/v1"], env=env, preexec_fn=pinned(cpus))
    )
    wait_port(port, 60)
    return port


def litellm_bin(venv: Path) -> Path:
    """LiteLLM's executable in ``venv``, installing it there first when it is missing."""
    exe = venv / "bin" / "litellm"
    if not exe.exists():
        print(f"<!-- installing litellm[proxy] into {venv} -->", flush=True)
        subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "-q", "litellm[proxy]"]
        subprocess.run(pip, check=True)
    return exe


def start_litellm(
    procs: list[subprocess.Popen[bytes]],
    up_port: int,
    master: str,
    venv: Path,
    cpus: set[int] | None = None,
) -> int:
    exe = litellm_bin(venv)
    cfg = Path(tempfile.mkdtemp()) / "litellm.yaml"
    cfg.write_text(
        "model_list:\n  - model_name: bench\n    litellm_params:\n"
        f"      model: openai/bench\n      api_base: http://127.0.0.1:{up_port}/v1\n"
        "      api_key: none\ngeneral_settings:\n"
        "  master_key: os.environ/LITELLM_MASTER_KEY\n"
    )
    port = free_port()
    cmd = [str(exe), "--config", str(cfg), "--port", str(port), "--num_workers", "1"]
    env = {**os.environ, "LITELLM_MASTER_KEY": master, "LITELLM_LOG": "ERROR"}
    procs.append(
        subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=pinned(cpus),
        )
    )
    wait_port(port, 240)
    return port


def saturation(rows: list[dict[str, object]], rates: list[float]) -> list[str]:
    """Per mode and target, the highest rate sustained within the budget."""
    out = []
    for mode in dict.fromkeys(str(r["mode"]) for r in rows):
        for target in dict.fromkeys(str(r["target"]) for r in rows):
            ok = [
                float(str(r["rate"]))
                for r in rows
                if r["mode"] == mode
                and r["target"] == target
                and float(str(r["achieved"])) >= SATURATION_SHARE * float(str(r["rate"]))
                and (target == "direct" or float(str(r["over99"])) <= SATURATION_P99_MS)
            ]
            best = f"{max(ok):g} req/s" if ok else f"below {min(rates):g} req/s"
            out.append(f"| {mode} | {target} | {best} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=30, help="seconds per cell")
    ap.add_argument("--rates", default="100,300,1000")
    ap.add_argument("--modes", default="json,stream")
    ap.add_argument("--connections", type=int, default=256, help="load generator's cap")
    ap.add_argument("--no-litellm", action="store_true", help="leave LiteLLM's proxy out")
    ap.add_argument("--litellm-venv", type=Path, default=LITELLM_VENV)
    ap.add_argument(
        "--pin",
        action="store_true",
        help="run each gateway on CPU 0 and this generator and the upstream on the others "
        "(a gateway on a core of its own, as deployed; needs 2+ CPUs)",
    )
    args = ap.parse_args()
    server_cpus: set[int] | None = None
    if args.pin:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            raise SystemExit("--pin needs at least 2 CPUs")
        server_cpus = {cpus[0]}
        os.sched_setaffinity(0, set(cpus[1:]))  # the generator; the upstream inherits it
    rates = [float(r) for r in args.rates.split(",")]
    procs: list[subprocess.Popen[bytes]] = []
    load_before = os.getloadavg()
    try:
        up_port = free_port()
        procs.append(subprocess.Popen([sys.executable, str(HERE / "upstream.py"), str(up_port)]))
        wait_port(up_port)
        targets: list[tuple[str, int, str | None, int]] = [
            ("direct", up_port, None, procs[-1].pid),
        ]
        targets.append(("aisec", start_aisec(procs, up_port, server_cpus), KEY, procs[-1].pid))
        if not args.no_litellm:
            master = "sk-" + secrets.token_hex(32)  # LiteLLM refuses to start with a weak key
            port = start_litellm(procs, up_port, master, args.litellm_venv, server_cpus)
            targets.append(("litellm", port, master, procs[-1].pid))
        where = f"; each gateway pinned to CPU {min(server_cpus)}" if server_cpus else ""
        print(
            f"{args.duration:g} s per cell; {os.cpu_count()} CPUs ({platform.machine()}); "
            f"one worker each{where}; load average {load_before[0]:.1f} at start\n"
        )
        print(
            "| mode | rate req/s | target | achieved req/s | errors | p50 ms | p99 ms "
            "| overhead p50 ms | overhead p99 ms | server CPU % | generator CPU % |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        rows: list[dict[str, object]] = []
        notes: list[str] = []
        for mode in args.modes.split(","):
            for rate in rates:
                base: dict[str, Any] | None = None
                for name, port, key, pid in targets:
                    # busy shares of one core over the cell: the server (direct: the
                    # upstream alone) and this load generator, which must not be the limit
                    cpu0, gen0 = cpu_seconds(pid), time.process_time()
                    r = asyncio.run(
                        run_rate(port, rate, args.duration, mode == "stream", key, args.connections)
                    )
                    busy = (cpu_seconds(pid) - cpu0) / r["wall"] * 100
                    gen = (time.process_time() - gen0) / r["wall"] * 100
                    if r.get("kinds"):
                        notes.append(f"{mode} {rate:g} {name}: errors {r['kinds']}")
                    if name == "direct":
                        base = r
                        over = (float("nan"), float("nan"))
                    else:
                        assert base is not None
                        over = (r["p50"] - base["p50"], r["p99"] - base["p99"])
                    rows.append(
                        {
                            "mode": mode,
                            "rate": rate,
                            "target": name,
                            "achieved": r["achieved"],
                            "over99": over[1],
                        }
                    )
                    shown = ("-", "-") if name == "direct" else (f"{over[0]:.2f}", f"{over[1]:.2f}")
                    print(
                        f"| {mode} | {rate:g} | {name} | {r['achieved']:.0f} | "
                        f"{int(r['errors'])} | {r['p50']:.2f} | {r['p99']:.2f} | "
                        f"{shown[0]} | {shown[1]} | {busy:.0f} | {gen:.0f} |",
                        flush=True,
                    )
                    time.sleep(1)  # let the previous cell's queues drain
        print("\n| mode | target | saturates at |\n|---|---|---|")
        print("\n".join(saturation(rows, rates)))
        load_after = os.getloadavg()
        print(f"\nload average {load_before[0]:.1f} at start, {load_after[0]:.1f} at the end")
        for note in notes:
            print(f"- {note}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
