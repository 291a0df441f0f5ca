"""CPU seconds the gateway process spends per request (closed loop, one request at a time).

On a shared machine latency under load says more about the neighbours than about the
gateway; CPU time per request (from /proc, user + system, all threads of the gateway
process) says less about them, and bounds what one worker can sustain: 1 / (CPU per
request) requests per second on a dedicated core.

Each cell is the median of ``--rounds`` rounds that interleave every server, so a noisy
moment hits all of them alike. ``--baseline SRC`` also serves the gateway from another
checkout's ``src`` (e.g. ``/work/main/src``, the code before a change) in the same run.

    .venv/bin/python benchmarks/gateway/cpu_per_request.py 400 --rounds 5 --baseline ../main/src
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import KEY, PROMPT, ROOT, Pool, cpu_seconds, free_port, wait_port  # noqa: E402


async def measure(port: int, pid: int, stream: bool, n: int) -> float:
    """CPU milliseconds of process ``pid`` per request, over ``n`` sequential requests."""
    pool = Pool(port)
    body = json.dumps(
        {"model": "bench", "stream": stream, "messages": [{"role": "user", "content": PROMPT}]}
    ).encode()
    headers = f"authorization: Bearer {KEY}\r\n".encode()
    for _ in range(20):
        await pool.request("/v1/chat/completions", body, headers)
    before = cpu_seconds(pid)
    for _ in range(n):
        status, _ = await pool.request("/v1/chat/completions", body, headers)
        if status != 200:
            raise SystemExit(f"gateway answered {status}")
    return (cpu_seconds(pid) - before) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=400, help="requests per cell and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", help="another checkout's src folder to compare with")
    args = ap.parse_args()
    sources = [("this", str(ROOT / "src"))]
    if args.baseline:
        sources.append(("baseline", str(Path(args.baseline).resolve())))
    up = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    upstream = subprocess.Popen([sys.executable, str(HERE / "upstream.py"), str(up)])
    servers: dict[tuple[str, str], tuple[int, int]] = {}  # (source, guard) -> (port, pid)
    try:
        wait_port(up)
        for name, src in sources:
            for guard in ("on", "off"):
                port = free_port()
                env = {**os.environ, "PYTHONPATH": src, "AISEC_HOME": tempfile.mkdtemp()}
                cmd = [sys.executable, str(HERE / "serve_gateway.py"), str(port)]
                cmd += [f"http://127.0.0.1:{up}/v1"] + (["guard-off"] if guard == "off" else [])
                procs.append(subprocess.Popen(cmd, env=env))
                servers[(name, guard)] = (port, procs[-1].pid)
        for port, _ in servers.values():
            wait_port(port, 60)
        samples: dict[tuple[str, str, str], list[float]] = {}
        for _ in range(args.rounds):
            for (name, guard), (port, pid) in servers.items():
                for mode in ("json", "stream"):
                    ms = asyncio.run(measure(port, pid, mode == "stream", args.n))
                    samples.setdefault((name, guard, mode), []).append(ms)
        load = os.getloadavg()
        print(
            f"{args.n} sequential requests x {args.rounds} rounds (median), ~1 KB prompt; "
            f"gateway process CPU per request; load average {load[0]:.1f} at the end\n"
        )
        head = "| guard | mode | CPU ms/request | one-core ceiling req/s |"
        line = "|---|---|---|---|"
        if args.baseline:
            head += " baseline CPU ms/request | baseline / this |"
            line += "---|---|"
        print(head + "\n" + line)
        for guard in ("on", "off"):
            for mode in ("json", "stream"):
                ms = statistics.median(samples[("this", guard, mode)])
                row = f"| {guard} | {mode} | {ms:.2f} | {1000 / ms:.0f} |"
                if args.baseline:
                    base = statistics.median(samples[("baseline", guard, mode)])
                    row += f" {base:.2f} | {base / ms:.2f}x |"
                print(row, flush=True)
    finally:
        for p in [*procs, upstream]:
            p.terminate()
        for p in [*procs, upstream]:
            p.wait(10)


if __name__ == "__main__":
    main()
