"""Audit append throughput: events/s for one writer on SQLite, with the witnesses on/off.

    PYTHONPATH=src python benchmarks/audit_append.py [EVENTS] [REPEATS]

Prints one row per configuration (median of REPEATS runs). "no witness" is the chain and
checkpoints alone; "local" adds the per-event local witness line; "local + external"
adds one external witness file; "batches of 15" writes the local-witness log with
``append_many`` in batches of 15 events (what the gateway's audit sink writes every 50 ms
at 300 requests/s). Run the same script with PYTHONPATH pointing at another
checkout to compare (its AuditLog takes the same ``witness=`` argument).
"""

from __future__ import annotations

import inspect
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aisec.core.audit import AuditKey, AuditLog
from aisec.core.store import open_store


def _run(events: int, witness: bool, external: bool, batch: int = 0) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        kwargs: dict[str, object] = {}
        if witness:
            kwargs["witness"] = home / "audit.witness"
        if external and "external" in inspect.signature(AuditLog).parameters:
            kwargs["external"] = (home / "external.witness",)
        log = AuditLog(open_store(f"sqlite:///{home / 'aisec.db'}"), AuditKey(home / "k"), **kwargs)
        log.append("warm", "up", "x")
        start = time.perf_counter()
        if batch:
            for first in range(0, events, batch):
                log.append_many(
                    [
                        ("alice", "model.promoted", f"model-{i}", "ok", {"env": "prod"})
                        for i in range(first, min(first + batch, events))
                    ]
                )
        else:
            for i in range(events):
                log.append("alice", "model.promoted", f"model-{i}", details={"env": "prod"})
        elapsed = time.perf_counter() - start
        log.store.close()
        return events / elapsed


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(f"{'configuration':<20} {'events/s (median)':>18}  runs")
    configurations = [
        ("no witness", False, False, 0),
        ("local", True, False, 0),
        ("local + external", True, True, 0),
    ]
    if hasattr(AuditLog, "append_many"):
        configurations.append(("batches of 15", True, False, 15))
    for label, witness, external, batch in configurations:
        runs = [_run(events, witness, external, batch) for _ in range(repeats)]
        shown = ", ".join(f"{r:.0f}" for r in runs)
        print(f"{label:<20} {statistics.median(runs):>18.0f}  {shown}")


if __name__ == "__main__":
    main()
