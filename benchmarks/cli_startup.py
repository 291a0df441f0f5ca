"""Time ``aisec --help``, ``aisec --version`` and ``aisec keys list`` as whole processes
(budget: 300 ms). ``keys list`` runs in a fresh temporary ``$AISEC_HOME`` holding one key.

Run: .venv/bin/python benchmarks/cli_startup.py [--runs 20]
Prints a markdown table with median and p90 wall time, beside ``python -c pass`` (the floor).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AISEC = str(Path(sys.executable).with_name("aisec"))


def _time(cmd: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        out.append((time.perf_counter() - t0) * 1000)
    return sorted(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="aisec-startup-")
    os.environ["AISEC_HOME"] = home  # the children inherit it
    for setup in (["init"], ["keys", "create", "bench"]):
        subprocess.run([AISEC, *setup], capture_output=True, check=True)
    cases = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "aisec --version": [AISEC, "--version"],
        "aisec --help": [AISEC, "--help"],
        "aisec policy --help": [AISEC, "policy", "--help"],
        "aisec keys list": [AISEC, "keys", "list"],
    }
    print("| command | median ms | p90 ms | runs |\n|---|---|---|---|")
    for name, cmd in cases.items():
        ts = _time(cmd, args.runs)
        p90 = ts[int(0.9 * (len(ts) - 1))]
        print(f"| `{name}` | {statistics.median(ts):.0f} | {p90:.0f} | {args.runs} |")


if __name__ == "__main__":
    main()
