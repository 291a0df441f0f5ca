"""Streaming file encryption: MB/s and peak RSS of `aisec encrypt` / `aisec decrypt`.

Run: .venv/bin/python benchmarks/crypto/bench_stream.py [--sizes 100M,2G] [--runs 3]

For each size it makes a random file, then times, as whole processes under
``/usr/bin/time -v`` (wall time and peak RSS):

* ``aisec encrypt`` and ``aisec decrypt`` (interpreter start included),
* ``sha256sum`` of the same file (the disk + one pass floor),
* the same two operations through the Python API (``Keyring.encrypt_file``), timing only
  the call, so the streaming rate is visible without interpreter and import start-up,
* ``aisec keys list`` (no data at all): the fixed memory and time cost of the imports,
* the peer: pyca/cryptography AES-256-GCM over the same file in 1 MiB chunks, read ->
  encrypt -> write (raw AES-GCM, no key management, no header, no streaming format).

It checks that decrypt(encrypt(file)) has the input's SHA-256, and prints a markdown
table of medians. Files go to benchmarks/crypto/out/ (gitignored) and are removed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable

API = r"""
import sys, time
from pathlib import Path
from aisec.core.crypto import Keyring
op, src, dst = sys.argv[1:4]
with Keyring.open() as ring:
    t0 = time.perf_counter()
    if op == "encrypt":
        ring.encrypt_file(Path(src), Path(dst), "bench")
    else:
        ring.decrypt_file(Path(src), Path(dst))
    print(time.perf_counter() - t0)
"""

PEER = r"""
import os, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
aes = AESGCM(AESGCM.generate_key(256))
with open(sys.argv[1], "rb") as fin, open(sys.argv[2], "wb") as fout:
    while chunk := fin.read(1 << 20):
        nonce = os.urandom(12)
        fout.write(nonce + aes.encrypt(nonce, chunk, None))
"""


def parse_size(text: str) -> int:
    m = re.fullmatch(r"(\d+)([KMG]?)", text.strip().upper())
    if not m:
        raise SystemExit(f"bad size {text!r}")
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 10**6, "G": 1 << 30}[m.group(2)]


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        left = size
        while left:
            block = os.urandom(min(left, 1 << 20))
            fh.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS KiB) of ``cmd`` as reported by /usr/bin/time -v."""
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed: {proc.stderr[-2000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    wall = re.search(
        r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", proc.stderr
    )
    assert rss and wall, proc.stderr
    h, m, s = wall.groups()
    seconds = int(h or 0) * 3600 + int(m) * 60 + float(s)
    return seconds, float(rss.group(1))


def sha256_of(path: Path, env: dict[str, str]) -> str:
    out = subprocess.run(
        ["sha256sum", str(path)], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.split()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100M,2G")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    out = HERE / "out"
    out.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out))
    env = dict(os.environ)
    env["AISEC_HOME"] = str(work / "home")
    env["AISEC_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
    aisec = [PYTHON, "-m", "aisec"]
    subprocess.run(
        [*aisec, "keys", "create", "bench", "--purpose", "streaming"],
        env=env,
        check=True,
        capture_output=True,
    )
    rows = []
    load_before = os.getloadavg()
    try:
        for size_text in args.sizes.split(","):
            size = parse_size(size_text)
            src, enc, dec, peer = (work / n for n in ("in.bin", "in.aisec", "out.bin", "peer.bin"))
            expected = make_file(src, size)
            results: dict[str, list[tuple[float, float]]] = {
                "sha256sum": [],
                "pyca AES-GCM (peer)": [],
                "aisec keys list (no data)": [],
                "aisec encrypt": [],
                "aisec decrypt": [],
                "Keyring.encrypt_file (API, call only)": [],
                "Keyring.decrypt_file (API, call only)": [],
            }
            for _ in range(args.runs):
                for p in (enc, dec, peer):
                    p.unlink(missing_ok=True)
                results["sha256sum"].append(timed(["sha256sum", str(src)], env))
                results["pyca AES-GCM (peer)"].append(
                    timed([PYTHON, "-c", PEER, str(src), str(peer)], env)
                )
                results["aisec encrypt"].append(
                    timed([*aisec, "encrypt", str(src), str(enc), "--key", "bench"], env)
                )
                results["aisec decrypt"].append(timed([*aisec, "decrypt", str(enc), str(dec)], env))
                got = sha256_of(dec, env)
                if got != expected:
                    raise SystemExit(f"SHA-256 mismatch after round trip: {got} != {expected}")
                results["aisec keys list (no data)"].append(
                    timed([*aisec, "keys", "list", "--format", "json"], env)
                )
                for op, a, b in (("encrypt", src, enc), ("decrypt", enc, dec)):
                    b.unlink()
                    res = subprocess.run(
                        [PYTHON, "-c", API, op, str(a), str(b)],
                        env=env,
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    name = f"Keyring.{op}_file (API, call only)"
                    results[name].append((float(res.stdout.strip()), float("nan")))
                if sha256_of(dec, env) != expected:
                    raise SystemExit("SHA-256 mismatch after API round trip")
            overhead = enc.stat().st_size - size
            peer_wall = statistics.median(w for w, _ in results["pyca AES-GCM (peer)"])
            for name, samples in results.items():
                wall = statistics.median(w for w, _ in samples)
                rss = max(r for _, r in samples)
                mbs = size / 1e6 / wall if "no data" not in name else float("nan")
                rows.append((size_text, name, wall, mbs, rss, peer_wall / wall))
            print(
                f"{size_text}: round trip SHA-256 identical ({expected[:16]}…), "
                f"ciphertext overhead {overhead} bytes ({overhead / size:.4%})",
                file=sys.stderr,
            )
            for p in (src, enc, dec, peer):
                p.unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    load = " / ".join(f"{a:.2f}" for a in (*load_before, *os.getloadavg()))
    print(
        f"\nmedian of {args.runs} runs; peak RSS is the max over runs (/usr/bin/time -v "
        "'Maximum resident set size', KiB = 1024 bytes); whole processes (interpreter start "
        f"included); load average 1/5/15 min before / after: {load}\n"
    )
    print(
        "| size | command | wall s | MB/s | peak RSS KiB | peak RSS MiB | speed vs pyca AES-GCM |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for size_text, name, wall, mbs, rss, ratio in rows:
        mb = "-" if mbs != mbs else f"{mbs:.0f}"
        kib, mib = ("-", "-") if rss != rss else (f"{rss:,.0f}", f"{rss / 1024:.1f}")
        rt = "-" if "no data" in name else f"{ratio:.2f}x"
        print(f"| {size_text} | {name} | {wall:.2f} | {mb} | {kib} | {mib} | {rt} |")


if __name__ == "__main__":
    main()
