"""CPU seconds the gateway process spends per request (closed loop, one request at a time).

On a shared machine latency under load says more about the neighbours than about the
gateway; CPU time per request (from /proc) does not, and bounds what one worker can
sustain: 1 / (CPU per request) requests per second on a dedicated core.

    .venv/bin/python benchmarks/gateway/cpu_per_request.py [N]
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import KEY, PROMPT, ROOT, Pool, free_port, wait_port  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(port: int, pid: int, stream: bool, n: int) -> float:
    pool = Pool(port)
    body = json.dumps(
        {"model": "bench", "stream": stream, "messages": [{"role": "user", "content": PROMPT}]}
    ).encode()
    headers = f"authorization: Bearer {KEY}\r\n".encode()
    for _ in range(50):
        await pool.request("/v1/chat/completions", body, headers)
    before = cpu_seconds(pid)
    for _ in range(n):
        status, _ = await pool.request("/v1/chat/completions", body, headers)
        if status != 200:
            raise SystemExit(f"gateway answered {status}")
    return (cpu_seconds(pid) - before) / n * 1000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "AISEC_HOME": tempfile.mkdtemp()}
    up = free_port()
    upstream = subprocess.Popen([sys.executable, str(HERE / "upstream.py"), str(up)])
    try:
        wait_port(up)
        print(f"{n} sequential requests, ~1 KB prompt; gateway process CPU per request\n")
        print("| guard | mode | CPU ms/request | one-core ceiling req/s |")
        print("|---|---|---|---|")
        for guard in ("on", "off"):
            gw = free_port()
            args = [
                sys.executable,
                str(HERE / "serve_gateway.py"),
                str(gw),
                f"http://127.0.0.1:{up}/v1",
            ] + (["guard-off"] if guard == "off" else [])
            proc = subprocess.Popen(args, env=env)
            try:
                wait_port(gw)
                for stream in (False, True):
                    ms = asyncio.run(measure(gw, proc.pid, stream, n))
                    mode = "stream" if stream else "json"
                    print(f"| {guard} | {mode} | {ms:.2f} | {1000 / ms:.0f} |", flush=True)
            finally:
                proc.terminate()
                proc.wait(10)
    finally:
        upstream.terminate()
        upstream.wait(10)


if __name__ == "__main__":
    main()
