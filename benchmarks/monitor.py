"""Monitor signal computation over N generated audit events, on SQLite and PostgreSQL.

    PYTHONPATH=src python benchmarks/monitor.py [--events N] [--keys K] [--postgres URL]

Generates N ``gateway.request`` audit events (K keys, each a Poisson stream at 0.5-3
requests a minute over as many days as N needs, prompt digests, token counts, a failed
login now and then, one key turning to 20x its norm late in the trace), written as a real
keyed hash chain, into a fresh SQLite database and (with ``--postgres``, a server URL whose
user may create databases) a fresh PostgreSQL database. Then, in a child process per
database, times one ``run_monitor`` over all of it: read the events a page at a time,
parse them, feed every signal's CUSUM, store alerts and state. Prints the time, events/s
and the child's peak RSS during the run (VmHWM, reset after its imports; its RSS before
in brackets), beside the same child doing only the read and parse (the part any consumer
of the log pays), and beside a polars count per key and minute over the same rows (what a
dashboard query costs, without change-point detection).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from aisec.core.policy import MonitorPolicy
from aisec.core.store import open_store

mode, url = sys.argv[1], sys.argv[2]
store = open_store(url)
import polars  # noqa: F401 - imported before the start RSS, like the rest
from aisec.monitor import read_events, run_monitor
with open("/proc/self/statm") as f:  # resident now, after the imports
    rss0 = int(f.read().split()[1]) * resource.getpagesize() / 1024
with open("/proc/self/clear_refs", "w") as f:  # reset VmHWM: the peak is the run's own
    f.write("5")
start = time.perf_counter()
out = {}
if mode == "monitor":
    run = run_monitor(store, MonitorPolicy())
    out = {"events": run.events, "alarms": run.alarms, "alerts": len(run.opened)}
elif mode == "parse":
    out = {"events": sum(1 for _ in read_events(store, 0))}
else:
    import polars as pl

    rows = [(e.t, e.key or "") for e in read_events(store, 0)]
    df = pl.DataFrame(rows, schema=["t", "key"], orient="row")
    df = df.with_columns((pl.col("t") // 60).cast(pl.Int64).alias("minute"))
    agg = df.group_by(["key", "minute"]).len()
    out = {"events": len(rows), "groups": agg.height}
out["seconds"] = time.perf_counter() - start
with open("/proc/self/status") as f:
    hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
out["rss_mib"] = hwm / 1024
out["rss_before_mib"] = rss0 / 1024
print(json.dumps(out))
"""


ROUTES = ("main", "support", "agent")


def generate(n: int, keys: int, seed: int = 7):  # type: ignore[no-untyped-def]
    """(time, actor, details) of n requests, in time order, lazily per key-day slice."""
    rng = random.Random(seed)
    norms = [rng.uniform(0.5, 3.0) / 60 for _ in range(keys)]
    per_second = sum(norms)
    span = n / per_second
    t0 = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    attack_key, attack_at = 3, t0 + span * 0.9
    heap: list[tuple[float, int]] = [(t0 + rng.expovariate(norms[k]), k) for k in range(keys)]
    import heapq

    heapq.heapify(heap)
    for _ in range(n):
        t, k = heapq.heappop(heap)
        rate = norms[k] * (1 + 0.5 * math.sin(2 * math.pi * (t - t0) / 86400 + k))
        if k == attack_key and t >= attack_at:
            rate = norms[k] * 20
        heapq.heappush(heap, (t + rng.expovariate(rate), k))
        if rng.random() < 0.0005:
            yield t, "anonymous", {"status": 401, "model": "-", "key_prefix": None}
            continue
        tokens = int(rng.lognormvariate(5, 0.7))
        route = ROUTES[k % len(ROUTES)]
        behaviour: dict[str, object]
        if rng.random() < 0.02:  # the guard blocks 2 % of requests
            behaviour = {"decision": "block", "status": 400, "blocked_by": "input.prompt_injection"}
        else:
            behaviour = {
                "decision": "allow",
                "status": 200,
                "output_chars": int(rng.lognormvariate(6, 0.8)),
                "refusal": rng.random() < 0.05,
            }
            if route == "agent" and rng.random() < 0.3:
                behaviour["tools_called"] = "search"
        yield (
            t,
            f"svc{k}",
            {
                "endpoint": "chat",
                "route": route,
                "model": "gpt-a" if rng.random() < 0.5 else "gpt-b",
                **behaviour,
                "key_prefix": f"{k:012x}",
                "prompt_fp": f"{k:04x}{rng.randrange(40):012x}"
                if not (k == attack_key and t >= attack_at)
                else f"{rng.getrandbits(64):016x}",
                "usage.prompt": tokens // 2,
                "usage.completion": tokens - tokens // 2,
                "usage.total": tokens,
            },
        )


def fill(url: str, n: int, keys: int, home: Path) -> float:
    from aisec.core.audit import GENESIS, AuditKey, AuditLog
    from aisec.core.store import open_store

    store = open_store(url)
    log = AuditLog(store, AuditKey(home / "audit.key"))
    start = time.perf_counter()
    prev = GENESIS
    batch: list[tuple[object, ...]] = []
    postgres = url.startswith("postgresql")

    def flush() -> None:
        if postgres:
            import psycopg

            with (
                psycopg.connect(url) as pg,
                pg.cursor() as cur,
                cur.copy(
                    "COPY audit_events (seq, time, actor, action, target, outcome, details,"
                    " prev_hash, hash) FROM STDIN"
                ) as copy,
            ):
                for row in batch:
                    copy.write_row(row)
        else:
            with store.write() as conn:
                conn.executemany(
                    "INSERT INTO audit_events (seq, time, actor, action, target, outcome,"
                    " details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
        batch.clear()

    for seq, (t, actor, details) in enumerate(generate(n, keys), start=1):
        outcome = "ok" if details["status"] < 400 else "denied"
        fields = {
            "seq": seq,
            "time": datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": "gateway.request",
            "target": f"{details.get('route', '-')}:{details['model']}",
            "outcome": outcome,
            "details": details,
            "prev_hash": prev,
        }
        batch.append(log.chain_row(fields))
        prev = str(batch[-1][-1])
        if len(batch) >= 50_000:
            flush()
    if batch:
        flush()
    store.close()
    return time.perf_counter() - start


def child(mode: str, url: str) -> dict[str, float]:
    env = dict(os.environ)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--postgres", default=os.environ.get("AISEC_TEST_POSTGRES_URL"))
    ap.add_argument("--no-peer", action="store_true", help="Skip the polars count.")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["AISEC_HOME"] = str(home)
        targets: list[tuple[str, str, str | None]] = []
        if not args.no_sqlite:
            targets.append(("SQLite", f"sqlite:///{home / 'bench.db'}", None))
        if args.postgres:
            import psycopg

            name = f"aisec_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            targets.append(("PostgreSQL", args.postgres.rsplit("/", 1)[0] + "/" + name, name))
        print(f"{args.events:,} events, {args.keys} keys; python {sys.version.split()[0]}")
        print()
        print("| database | step | seconds | events/s | peak RSS MiB (RSS before) | result |")
        print("|---|---|---:|---:|---:|---|")
        try:
            for label, url, _ in targets:
                took = fill(url, args.events, args.keys, home)
                print(
                    f"| {label} | generate + write chain | {took:.1f} | "
                    f"{args.events / took:,.0f} | - | - |"
                )
                modes = [
                    ("parse", "read + parse only"),
                    ("monitor", "**monitor run (all signals)**"),
                    ("polars", "peer: polars count per key-minute"),
                ]
                for mode, what in modes[:2] if args.no_peer else modes:
                    r = child(mode, url)
                    extra = {
                        k: v
                        for k, v in r.items()
                        if k not in ("seconds", "rss_mib", "rss_before_mib")
                    }
                    print(
                        f"| {label} | {what} | {r['seconds']:.1f} | "
                        f"{r['events'] / r['seconds']:,.0f} | {r['rss_mib']:.0f} "
                        f"({r['rss_before_mib']:.0f}) | {json.dumps(extra)} |",
                        flush=True,
                    )
        finally:
            for _, _, db_name in targets:
                if db_name:
                    import psycopg

                    with psycopg.connect(args.postgres, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
