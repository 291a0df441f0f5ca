"""Sign and verify with aisec and with the reference model_signing CLI, in the same run.

Two folders are generated under ``--data`` (default ``/tmp/aisec-bench-signing``):
``big`` (one 800 MiB safetensors-like file, two 112 MiB shards and small configs: 1 GiB)
and ``small`` (10,000 files of 1-4 KiB in 100 sub-folders). Each tool signs and verifies
each folder with the same P-256 PEM key, as a command (start-up included), ``--repeats``
times, interleaved (who goes first alternates; the folder is read into the page cache
before each timed command); the table gives medians and aisec/reference ratios. The 1 GiB folder
is deleted afterwards unless ``--keep``.

    PYTHONPATH=src .venv/bin/python benchmarks/signing/bench_signing.py
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1 << 20
BIN = Path(sys.executable).parent


def _write_random(path: Path, size: int) -> None:
    block = os.urandom(4 * MIB)
    with path.open("wb") as out:
        left = size
        while left:
            n = min(left, len(block))
            out.write(block[:n])
            left -= n
            block = block[1:] + block[:1] if left else block  # vary the bytes a little


def make_big(folder: Path) -> None:
    folder.mkdir(parents=True)
    _write_random(folder / "model.safetensors", 800 * MIB)
    _write_random(folder / "optimizer-00001.bin", 112 * MIB)
    _write_random(folder / "optimizer-00002.bin", 112 * MIB)
    for name in ("config.json", "generation_config.json", "tokenizer.json", "vocab.txt"):
        (folder / name).write_bytes(os.urandom(16 * 1024))


def make_small(folder: Path, count: int = 10_000) -> None:
    for i in range(count):
        sub = folder / f"d{i % 100:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:05d}.json").write_bytes(os.urandom(1024 + (i * 37) % 3072))


def make_key(folder: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private, public = folder / "k.pem", folder / "k.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def commands(model: Path, sig: Path, private: Path, public: Path) -> dict[str, list[str]]:
    aisec = [str(BIN / "aisec")]
    ref = [str(BIN / "model_signing")]
    return {
        "aisec sign": [*aisec, "sign", str(model), "--private-key", str(private),
                       "--signature", f"{sig}.aisec", "--quiet"],
        "model_signing sign": [*ref, "sign", "key", str(model), "--private_key", str(private),
                               "--signature", f"{sig}.ref"],
        "aisec verify": [*aisec, "verify", str(model), "--public-key", str(public),
                         "--signature", f"{sig}.aisec", "--quiet"],
        "model_signing verify": [*ref, "verify", "key", str(model), "--public_key", str(public),
                                 "--signature", f"{sig}.ref"],
    }  # fmt: skip


def warm(folder: Path) -> None:
    """Read every file once, so each timed command starts with the folder in the page
    cache (the machine is shared: between two commands other work may evict it)."""
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                while fh.read(8 << 20):
                    pass


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the command and its threads)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    return took, _children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("/tmp/aisec-bench-signing"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="Keep the 1 GiB folder.")
    parser.add_argument("--only", choices=("big", "small"), default=None)
    args = parser.parse_args()

    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    private, public = make_key(data)
    home = Path(tempfile.mkdtemp(prefix="aisec-bench-home-"))
    env = dict(os.environ, AISEC_HOME=str(home))
    subprocess.run([str(BIN / "aisec"), "init"], env=env, capture_output=True, check=True)
    folders = {"big": data / "big", "small": data / "small"}
    makers = {"big": make_big, "small": make_small}
    rows: list[str] = []
    try:
        for label, folder in folders.items():
            if args.only and label != args.only:
                continue
            if not folder.exists():
                makers[label](folder)
            cmds = commands(folder, data / f"{label}.sig", private, public)
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
            for round_ in range(args.repeats):
                # sign both, then verify both; who goes first alternates between rounds
                order = list(cmds.items())
                if round_ % 2:
                    order = [order[1], order[0], order[3], order[2]]
                for name, cmd in order:
                    warm(folder)
                    times[name].append(timed(cmd, env))
            for op in ("sign", "verify"):
                ours = [statistics.median(x) for x in zip(*times[f"aisec {op}"], strict=True)]
                ref = [
                    statistics.median(x) for x in zip(*times[f"model_signing {op}"], strict=True)
                ]
                rows.append(
                    f"| {label} | {op} | {ours[0]:.2f} | {ref[0]:.2f} | {ours[0] / ref[0]:.2f} "
                    f"| {ours[1]:.2f} | {ref[1]:.2f} | {ours[1] / ref[1]:.2f} |"
                )
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(folders["big"], ignore_errors=True)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; {args.repeats} repeats, medians (s)")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print("| folder | op | aisec wall | model_signing wall | ratio | aisec CPU | ref CPU | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
