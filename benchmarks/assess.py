"""Inventory throughput on a generated 50,000-file tree, beside a grep baseline and pip-audit.

Run from the repository root:

    PYTHONPATH=$PWD/src .venv/bin/python benchmarks/assess.py [--files 50000] [--runs 3]

It writes a seeded tree under /tmp/aisec-bench-tree (code, notebooks, configs, data, a few
models, requirements files: see ``_generate``), then, in the same run and on the same tree:

- ``aisec inventory TREE --format json`` (the CLI, in a subprocess; wall time of each run);
- the grep baseline ``grep -rlE 'openai|anthropic|langchain|llama_index|...' TREE`` (which
  files mention an SDK: no call sites, no lines, no models by content, no findings);
- ``pip-audit -r requirements.txt --no-deps --disable-pip`` from its own virtual environment
  (``/work/peers/pip-audit``, created here when missing) on the tree's top requirements
  file, and ``aisec inventory`` on that file alone with a local OSV export;
- one in-process run drawing the progress bar that ``aisec inventory`` shows on a terminal.

It prints a markdown table of medians; benchmarks/assess.md holds a measured one.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import random
import shutil
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

TREE = Path("/tmp/aisec-bench-tree")
PEER = Path("/work/peers/pip-audit")
REQUIREMENTS = (
    "requests==2.25.0\nflask==2.0.0\njinja2==2.11.2\nurllib3==1.26.4\nnumpy==1.21.0\n"
    "pillow==8.2.0\npyyaml==5.3.1\ntorch==1.13.0\ntransformers==4.30.0\nopenai==1.30.0\n"
)
SDK_PATTERN = (
    "openai|anthropic|langchain|llama_index|transformers|torch|sklearn|xgboost|vllm|litellm|"
    "mlflow|chromadb|faiss|pinecone|qdrant|weaviate"
)
_LLM_SNIPPETS = [
    "from openai import OpenAI\nclient = OpenAI()\n"
    "def ask(q):\n    return client.chat.completions.create(model='gpt-4o', messages=["
    "{'role': 'system', 'content': 'You are a helpful assistant.'}, "
    "{'role': 'user', 'content': q}])\n",
    "from langchain_openai import ChatOpenAI\nfrom langchain_core.tools import tool\n"
    "llm = ChatOpenAI(model='gpt-4o-mini')\n@tool\ndef add(a: int, b: int) -> int:\n"
    "    '''Add.'''\n    return a + b\n",
    "import chromadb\nclient = chromadb.PersistentClient(path='db')\n",
    "from sklearn.linear_model import LogisticRegression\nclf = LogisticRegression()\n",
]


class _Reduce:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo benchmark",))


def _plain_code(rng: random.Random, i: int) -> str:
    body = "\n".join(
        f"def f{i}_{k}(x, y={k}):\n    '''Helper {k}.'''\n"
        f"    return [x * y + j for j in range({k})]\n"
        for k in range(rng.randint(3, 12))
    )
    return f"import os\nimport json\n\n{body}\n"


def _generate(root: Path, files: int, seed: int = 7) -> dict[str, int]:
    """A tree of ``files`` files in 500 folders; returns how many of each kind."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    counts: dict[str, int] = {}
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    safetensors = struct.pack("<Q", len(header)) + header + b"\x00" * 16
    plan = [
        ("py", 0.60),
        ("md", 0.12),
        ("json", 0.08),
        ("yaml", 0.04),
        ("csv", 0.06),
        ("js", 0.05),
        ("ipynb", 0.01),
        ("png", 0.035),
        ("model", 0.002),
        ("txt", 0.013),
    ]
    kinds = [k for k, _ in plan]
    weights = [w for _, w in plan]
    (root).mkdir(parents=True)
    (root / "requirements.txt").write_text(REQUIREMENTS)
    (root / "Dockerfile").write_text("FROM python:3.11\nRUN pip install -r requirements.txt\n")
    (root / ".gitignore").write_text("build/\n*.log\n")
    made = 3
    while made < files:
        folder = root / f"pkg{made % 500:03d}" / f"mod{made % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        kind = rng.choices(kinds, weights)[0]
        name = f"f{made:05d}"
        if kind == "py":
            text = rng.choice(_LLM_SNIPPETS) if rng.random() < 0.05 else _plain_code(rng, made)
            (folder / f"{name}.py").write_text(text)
        elif kind == "md":
            (folder / f"{name}.md").write_text("# Notes\n\n" + "Lorem ipsum dolor. " * 40)
        elif kind == "json":
            (folder / f"{name}.json").write_text(json.dumps({"k": list(range(50))}))
        elif kind == "yaml":
            (folder / f"{name}.yaml").write_text("name: x\nitems:\n" + "  - a\n" * 30)
        elif kind == "csv":
            rows = "\n".join(f"{j},{j * 2},label{j % 3}" for j in range(50))
            (folder / f"{name}.csv").write_text("id,value,label\n" + rows + "\n")
        elif kind == "js":
            (folder / f"{name}.js").write_text("export function f(x) { return x + 1; }\n" * 20)
        elif kind == "ipynb":
            src = rng.choice(_LLM_SNIPPETS)
            nb = {"nbformat": 4, "cells": [{"cell_type": "code", "source": src}]}
            (folder / f"{name}.ipynb").write_text(json.dumps(nb))
        elif kind == "png":
            (folder / f"{name}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.randbytes(2048))
        elif kind == "model":
            if rng.random() < 0.2:
                (folder / f"{name}.pkl").write_bytes(pickle.dumps(_Reduce(), protocol=2))
            else:
                (folder / f"{name}.safetensors").write_bytes(safetensors)
        else:
            (folder / f"{name}.txt").write_text("plain text file\n" * 10)
        counts[kind] = counts.get(kind, 0) + 1
        made += 1
    return counts


def _timed(cmd: list[str], **kw: object) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=False, **kw)
    return time.perf_counter() - start, proc


def _aisec() -> list[str]:
    return [sys.executable, "-m", "aisec"]


def _pip_audit() -> Path | None:
    exe = PEER / "bin" / "pip-audit"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER)], check=True)
        subprocess.run([str(PEER / "bin" / "pip"), "install", "-q", "pip-audit"], check=False)
    return exe if exe.exists() else None


def _osv_export(folder: Path) -> Path:
    """A small OSV export (three real advisories, abridged) for the offline check."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        ("PYSEC-2023-74", "requests", "2.31.0", "Proxy-Authorization header leak"),
        ("GHSA-m2qf-hxjv-5gpq", "flask", "2.2.5", "Session cookie disclosure"),
        ("PYSEC-2021-66", "jinja2", "2.11.3", "ReDoS in urlize"),
    ]
    for ident, name, fixed, summary in records:
        rec = {
            "id": ident,
            "summary": summary,
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": name},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                    ],
                }
            ],
        }
        (folder / f"{ident}.json").write_text(json.dumps(rec))
    return folder


def _progress_bar(tree: Path) -> float:
    """One in-process run drawing the bar ``aisec inventory`` draws on a terminal."""
    from aisec.inventory import inventory

    start = time.perf_counter()

    def bar(done: int, total: int | None) -> None:
        if total is None or (done % 2500 and done != total):
            return
        filled = int(30 * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'-' * (30 - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")

    inventory(tree, progress=bar)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    counts = _generate(TREE, args.files)
    print(f"tree: {args.files} files under {TREE}: {counts}", file=sys.stderr)
    env = {**os.environ, "AISEC_HOME": "/tmp/aisec-bench-home"}
    subprocess.run([*_aisec(), "init"], env=env, capture_output=True, check=False)

    inv_times, grep_times = [], []
    doc: dict[str, object] = {}
    for _ in range(args.runs):
        t, proc = _timed([*_aisec(), "inventory", str(TREE), "--format", "json"], env=env)
        if proc.returncode not in (0, 1):
            sys.exit(f"aisec inventory failed: {proc.stderr.decode()[-2000:]}")
        inv_times.append(t)
        doc = json.loads(proc.stdout)
        t, proc = _timed(["grep", "-rlE", SDK_PATTERN, str(TREE)])
        grep_times.append(t)
        grep_hits = len(proc.stdout.splitlines())
    summary = doc["summary"]
    assert isinstance(summary, dict)

    req = TREE / "requirements.txt"
    audit_exe = _pip_audit()
    audit_times, audit_note = [], "not run: pip-audit could not be installed"
    if audit_exe is not None:
        for _ in range(args.runs):
            t, proc = _timed(
                [
                    str(audit_exe),
                    "-r",
                    str(req),
                    "--no-deps",
                    "--disable-pip",
                    "--progress-spinner",
                    "off",
                ]
            )
            audit_times.append(t)
            audit_note = (proc.stdout + proc.stderr).decode().strip().splitlines()[-1][:160]
    osv = _osv_export(Path("/tmp/aisec-bench-osv"))
    offline_times = []
    for _ in range(args.runs):
        t, proc = _timed(
            [*_aisec(), "inventory", str(req), "--osv-db", str(osv), "--format", "json"], env=env
        )
        offline_times.append(t)
    vulns = [
        f
        for f in json.loads(proc.stdout)["findings"]
        if f["rule_id"] == "supplychain-vulnerable-dependency"
    ]
    bar_s = _progress_bar(TREE)

    med = statistics.median
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}\n")
    print(f"| tool | what it gives | median of {args.runs} runs (s) | ratio |")
    print("|---|---|---|---|")
    base = med(grep_times)
    print(
        f"| grep -rlE (baseline) | {grep_hits} files that mention an SDK name | {base:.2f} | 1.0x |"
    )
    print(
        f"| aisec inventory | {summary['files']} files read, {sum(summary['assets'].values())} "
        f"assets, {sum(summary['findings'].values())} findings, {summary['skipped']} skipped "
        f"| {med(inv_times):.2f} | {med(inv_times) / base:.1f}x |"
    )
    print(
        f"| aisec inventory (in process, with the progress bar) | same | {bar_s:.2f} | "
        f"{bar_s / base:.1f}x |"
    )
    if audit_times:
        print(
            f"| pip-audit -r requirements.txt --no-deps --disable-pip | {audit_note} | "
            f"{med(audit_times):.2f} | - |"
        )
    print(
        f"| aisec inventory requirements.txt --osv-db (offline) | {len(vulns)} vulnerable pins "
        f"| {med(offline_times):.2f} | - |"
    )
    print(f"\nassets: {summary['assets']}")


if __name__ == "__main__":
    main()
