"""Profile + check of a generated Parquet file: aisec beside Evidently and pandera.

    python benchmarks/data_check.py --rows 10000000            # the table in data.md
    python benchmarks/data_check.py --rows 100000000 --no-peers  # bounded memory at 100 M

Generates (streamed, 1 M rows at a time) a reference file and a current file of ROWS x 20
columns (12 float, 4 int, 3 category, 1 label), then times, each in its own process under
``/usr/bin/time`` (wall seconds and peak RSS):

- aisec: ``aisec data profile`` of the current file, and ``aisec data check`` of it against
  a contract (types, nulls, ranges, categories, a unique id) and the reference profile
  (drift of every column, duplicates);
- pandera (its own venv, /work/peers/pandera): the same contract as a polars
  DataFrameSchema, ``validate(lazy=True)``;
- Evidently (its own venv, /work/peers/evidently): ``Report([DataDriftPreset()])`` of the
  current file against the reference.

The peers' venvs are made with ``python3.11 -m venv /work/peers/<peer>`` and
``pip install "pandera[polars]"`` / ``pip install evidently "pandas<3" pyarrow``.
Files are deleted at the end (``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK = 1_000_000
CATS = {
    "country": ["US", "DE", "FR", "IN", "BR"],
    "device": ["ios", "android", "web"],
    "plan": ["free", "pro", "team", "enterprise"],
}
PEERS = Path("/work/peers")
REPO = Path(__file__).resolve().parents[1]


def _strings(codes: np.ndarray, values: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(values)).cast(
        pa.string()
    )


def generate(path: Path, rows: int, seed: int, reuse: bool = False) -> None:
    """``rows`` rows in 1 M-row row groups; ``reuse``: every chunk repeats the first one's
    random columns (only ``id`` differs), which makes a 100 M-row file quick to write."""
    rng = np.random.default_rng(seed)
    writer: pq.ParquetWriter | None = None
    first: pa.Table | None = None
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        ids = pa.array(np.arange(start, start + n, dtype=np.int64))
        if reuse and first is not None:
            assert writer is not None
            writer.write_table(first.slice(0, n).set_column(0, "id", ids), row_group_size=CHUNK)
            continue
        cols: dict[str, object] = {"id": ids}
        for i in range(12):
            cols[f"f{i}"] = rng.normal(i, 1 + i / 4, n)
        for i in range(3):
            cols[f"n{i}"] = rng.integers(0, 100 * (i + 1), n)
        for name, values in CATS.items():
            cols[name] = _strings(rng.integers(0, len(values), n), values)
        cols["label"] = _strings((rng.random(n) < 0.3).astype(np.int64), ["no", "yes"])
        table = pa.table(cols)
        first = table
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=CHUNK)
    assert writer is not None
    writer.close()


def timed(
    cmd: list[str], env: dict[str, str] | None = None, timeout: float = 3600
) -> dict[str, object]:
    """Wall seconds and peak RSS (MiB) of ``cmd``, from /usr/bin/time."""
    marker = "@@time"
    full = ["/usr/bin/time", "-f", f"{marker} %e %M", *cmd]
    proc = subprocess.Popen(  # its own session: a timeout ends the tool, not only `time`
        full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        proc_stdout, proc_stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    line = next((ln for ln in proc_stderr.splitlines() if ln.startswith(marker)), None)
    if line is None:
        return {"ok": False, "error": proc_stderr[-400:]}
    _, wall, rss_kb = line.split()
    ok = proc.returncode in (0, 1)  # 1: findings (aisec) / failures found (pandera)
    out: dict[str, object] = {
        "ok": ok,
        "rc": proc.returncode,
        "wall_s": float(wall),
        "rss_mib": int(rss_kb) / 1024,
    }
    if not ok:
        out["error"] = (proc_stderr or proc_stdout)[-400:]
    return out


def _num(result: dict[str, object], key: str) -> float:
    value = result[key]
    assert isinstance(value, (int, float))
    return float(value)


PANDERA = """
import sys, polars as pl, pandera.polars as pa
cats = {cats!r}
cols = {{"id": pa.Column(pl.Int64, nullable=False, unique=True)}}
for i in range(12):
    cols[f"f{{i}}"] = pa.Column(pl.Float64, nullable=False, checks=pa.Check.in_range(-100, 100))
for i in range(3):
    top = 100 * (i + 1)
    cols[f"n{{i}}"] = pa.Column(pl.Int64, nullable=False, checks=pa.Check.in_range(0, top))
for name, values in cats.items():
    cols[name] = pa.Column(pl.String, nullable=False, checks=pa.Check.isin(values))
cols["label"] = pa.Column(pl.String, nullable=False, checks=pa.Check.isin(["yes", "no"]))
schema = pa.DataFrameSchema(cols, strict=True)
frame = pl.read_parquet(sys.argv[1])
try:
    schema.validate(frame, lazy=True)
    print("valid")
except pa.errors.SchemaErrors as exc:
    print("invalid", len(exc.failure_cases))
"""

EVIDENTLY = """
import sys, pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
ref = pd.read_parquet(sys.argv[1])
cur = pd.read_parquet(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(cur, ref)
print(len(snapshot.dict()["metrics"]))
"""


def contract_yaml() -> str:
    lines = ["name: bench", "columns:", "  id: {type: int, nullable: false, unique: true}"]
    lines += [f"  f{i}: {{type: float, nullable: false, min: -100, max: 100}}" for i in range(12)]
    lines += [
        f"  n{i}: {{type: int, nullable: false, min: 0, max: {100 * (i + 1)}}}" for i in range(3)
    ]
    lines += [
        f"  {k}: {{type: str, nullable: false, categories: {json.dumps(v)}}}"
        for k, v in CATS.items()
    ]
    lines.append('  label: {type: str, nullable: false, categories: ["yes", "no"]}')
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--ref-rows", type=int, default=1_000_000)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--no-evidently", action="store_true", help="pandera only (Evidently: > 20 min at 10 M)"
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--profile-only", action="store_true", help="time aisec profile only")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool, best wall kept")
    parser.add_argument(
        "--reuse-chunks", action="store_true", help="repeat the first 1 M random rows (fast)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aisec-data-bench-", dir=args.dir))
    ref, cur = work / "reference.parquet", work / "current.parquet"
    t0 = time.perf_counter()
    generate(ref, args.ref_rows, 1)
    generate(cur, args.rows, 2, reuse=args.reuse_chunks)
    print(
        f"generated {args.rows:,} + {args.ref_rows:,} rows in {time.perf_counter() - t0:.0f} s "
        f"({cur.stat().st_size / 2**20:,.0f} MiB current)",
        flush=True,
    )
    (work / "contract.yaml").write_text(contract_yaml(), encoding="utf-8")
    # bytecode cached (outside the tree) as an installed package has it: without it every
    # run compiles aisec's modules again (0.3-0.4 s here)
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO / "src"),
        AISEC_HOME=str(work / "home"),
        PYTHONPYCACHEPREFIX=str(work / "pycache"),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    aisec = [sys.executable, "-m", "aisec"]
    subprocess.run([*aisec, "init"], env=env, cwd=work, capture_output=True, check=True)
    base = work / "baseline.json"
    subprocess.run(
        [*aisec, "data", "profile", str(ref), "--out", str(base), "-q"],
        env=env,
        cwd=work,
        check=True,
    )
    runs: dict[str, tuple[list[str], dict[str, str] | None, float]] = {
        "aisec profile": (
            [*aisec, "data", "profile", str(cur), "--out", str(work / "p.json"), "-q", "--force"],
            env,
            args.timeout,
        )
    }
    if not args.profile_only:
        contract = str(work / "contract.yaml")
        check = ["data", "check", str(cur), "--contract", contract, "--baseline", str(base)]
        runs["aisec check"] = ([*aisec, *check, "-q"], env, args.timeout)
    if not args.no_peers:
        (work / "pandera_run.py").write_text(textwrap.dedent(PANDERA.format(cats=CATS)))
        pandera = [str(PEERS / "pandera/bin/python"), str(work / "pandera_run.py"), str(cur)]
        runs["pandera validate"] = (pandera, None, args.timeout)
    # the tools take turns, --repeat times (a shared machine's load changes from minute to
    # minute); each tool's best wall time and its highest peak RSS are reported
    results: dict[str, dict[str, object]] = {}
    for _ in range(args.repeat):
        for name, (cmd, cmd_env, limit) in runs.items():
            r = timed(cmd, cmd_env, timeout=limit)
            print(name, json.dumps(r), flush=True)
            best = results.get(name)
            if best is None or not best.get("ok"):
                results[name] = r
            elif r.get("ok"):
                before = best.get("walls")
                walls = [*(before if isinstance(before, list) else [best["wall_s"]]), r["wall_s"]]
                best.update(
                    walls=walls,
                    wall_s=min(_num(best, "wall_s"), _num(r, "wall_s")),
                    rss_mib=max(_num(best, "rss_mib"), _num(r, "rss_mib")),
                )
    if not args.no_peers and not args.no_evidently:  # once: > 10 min at 10 M rows
        (work / "evidently_run.py").write_text(EVIDENTLY)
        results["evidently drift"] = timed(
            [
                str(PEERS / "evidently/bin/python"),
                str(work / "evidently_run.py"),
                str(ref),
                str(cur),
            ],
            timeout=args.timeout,
        )
    print(
        f"\n{args.rows:,} rows x 20 columns, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    ok = {n: (_num(r, "wall_s"), _num(r, "rss_mib")) for n, r in results.items() if r.get("ok")}
    if "aisec profile" in ok and "aisec check" in ok:
        (pw, pm), (cw, cm) = ok["aisec profile"], ok["aisec check"]
        ok["aisec profile + check"] = (pw + cw, max(pm, cm))
    peers = [wall for n, (wall, _) in ok.items() if not n.startswith("aisec")]
    fastest = min(peers) if peers else None
    print("| tool | wall s | rows/s | peak RSS MiB | fastest peer's wall / this |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        if not r.get("ok"):
            print(f"| {name} | failed: {str(r.get('error', '')).strip()[:120]} | | | |")
    for name, (wall, rss) in ok.items():
        ratio = f"{fastest / wall:.2f}x" if fastest else "-"
        print(f"| {name} | {wall:.1f} | {args.rows / wall:,.0f} | {rss:,.0f} | {ratio} |")
    print(json.dumps(results))
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
