"""Field-level encryption of a Parquet file: rows/s, round trip and join checks, with peers.

Run: .venv/bin/python benchmarks/crypto/bench_fields.py [--rows 1000000] [--runs 3]

Table: id int64, email string (deterministic, AES-SIV), ssn string and phone string
(random, AES-GCM), amount float64, country string, ts timestamp. Three encrypted columns.

Measured in one process, medians of --runs:
* aisec: ``encrypt_fields_file`` and ``decrypt_fields_file`` (read Parquet, encrypt cell by
  cell through Tink, write Parquet).
* peer 1, pyca/cryptography AES-256-GCM per cell in a Python loop over the same three
  columns (no key management, no types restored, no determinism: a floor for per-cell work
  driven from Python), including the Parquet read and write.
* peer 2, Parquet modular encryption in pyarrow (whole column chunks encrypted in C++
  with AES-GCM; an in-memory KMS stands in for a real one). Much faster, but it hides whole
  columns from any reader without the key: no equality joins on encrypted data, and the
  file is unreadable to tools without PME support.

Checks (the run stops if one fails): the other columns are equal with the same types after
encryption, the decrypted table equals the original, and joining a 100k-row orders table on
the encrypted email column gives the same matches as the plaintext join.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ENCRYPTED = ("email", "ssn", "phone")


def make_table(rows: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    users = rng.integers(0, max(rows // 5, 1), rows)
    return pa.table(
        {
            "id": pa.array(np.arange(rows, dtype=np.int64)),
            "email": pa.array([f"user{u}@example.com" for u in users.tolist()]),
            "ssn": pa.array(
                [
                    f"{a:03d}-{b:02d}-{c:04d}"
                    for a, b, c in rng.integers(0, [900, 100, 10000], (rows, 3)).tolist()
                ]
            ),
            "phone": pa.array([f"+1-555-{n:07d}" for n in rng.integers(0, 10**7, rows).tolist()]),
            "amount": pa.array(rng.normal(100, 30, rows)),
            "country": pa.array(rng.choice(["FR", "DE", "US", "JP", "BR"], rows)),
            "ts": pa.array(rng.integers(1.6e15, 1.7e15, rows), pa.timestamp("us", tz="UTC")),
        }
    )


def pyca_per_cell(src: Path, dst: Path) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes = AESGCM(AESGCM.generate_key(256))
    table = pq.read_table(src)
    for col in ENCRYPTED:
        i = table.schema.get_field_index(col)
        out = []
        for v in table.column(col).to_pylist():
            nonce = os.urandom(12)
            out.append(nonce + aes.encrypt(nonce, v.encode(), col.encode()))
        table = table.set_column(i, col, pa.array(out, pa.binary()))
    pq.write_table(table, dst, compression="zstd")


def pme_write(table: pa.Table, dst: Path) -> None:
    import pyarrow.parquet.encryption as pe
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    class InMemoryKms(pe.KmsClient):  # stand-in KMS: wraps data keys with AES-GCM in memory
        def __init__(self, config: Any) -> None:
            super().__init__()
            self.keys = {k: base64.b64decode(v) for k, v in config.custom_kms_conf.items()}

        def wrap_key(self, key_bytes: bytes, master_key_identifier: str) -> str:
            nonce = os.urandom(12)
            ct = AESGCM(self.keys[master_key_identifier]).encrypt(nonce, key_bytes, None)
            return base64.b64encode(nonce + ct).decode()

        def unwrap_key(self, wrapped_key: str, master_key_identifier: str) -> bytes:
            raw = base64.b64decode(wrapped_key)
            return AESGCM(self.keys[master_key_identifier]).decrypt(raw[:12], raw[12:], None)

    conf = pe.KmsConnectionConfig(
        custom_kms_conf={n: base64.b64encode(os.urandom(32)).decode() for n in ("footer", "col")}
    )
    factory = pe.CryptoFactory(lambda c: InMemoryKms(c))
    enc = pe.EncryptionConfiguration(
        footer_key="footer", column_keys={"col": list(ENCRYPTED)}, data_key_length_bits=256
    )
    props = factory.file_encryption_properties(conf, enc)
    pq.write_table(table, dst, encryption_properties=props, compression="zstd")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    out = HERE / "out"
    out.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out))
    os.environ["AISEC_HOME"] = str(work / "home")
    os.environ["AISEC_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
    from aisec.core.crypto import Keyring
    from aisec.data import decrypt_fields_file, encrypt_fields_file

    table = make_table(args.rows)
    src = work / "users.parquet"
    pq.write_table(table, src, compression="zstd")
    times: dict[str, list[float]] = {}

    def clock(name: str, fn: Any) -> None:
        t0 = time.perf_counter()
        fn()
        times.setdefault(name, []).append(time.perf_counter() - t0)

    try:
        with Keyring.open() as ring:
            ring.create_key("pii", "aead")
            ring.create_key("join", "deterministic")
            enc, dec = work / "enc.parquet", work / "dec.parquet"
            for _ in range(args.runs):
                for p in (enc, dec):
                    p.unlink(missing_ok=True)
                clock(
                    "plain Parquet read + write (floor)",
                    lambda: pq.write_table(
                        pq.read_table(src), work / "copy.parquet", compression="zstd"
                    ),
                )
                clock(
                    "aisec encrypt-fields",
                    lambda: encrypt_fields_file(
                        ring,
                        src,
                        enc,
                        key="pii",
                        fields=["ssn", "phone"],
                        deterministic=["email"],
                        det_key="join",
                    ),
                )
                clock("aisec decrypt-fields", lambda: decrypt_fields_file(ring, enc, dec))
                clock(
                    "peer: pyca AES-GCM per cell", lambda: pyca_per_cell(src, work / "pyca.parquet")
                )
                clock(
                    "peer: Parquet modular encryption (pyarrow)",
                    lambda: pme_write(table, work / "pme.parquet"),
                )

            # Checks.
            mid, back = pq.read_table(enc), pq.read_table(dec)
            for col in table.column_names:
                if col in ENCRYPTED:
                    assert mid.schema.field(col).type == pa.binary(), col
                else:
                    assert mid.schema.field(col) == table.schema.field(col), col
                    assert mid.column(col).equals(table.column(col)), col
            assert back.equals(table) and back.schema.equals(table.schema), "round trip differs"
            orders = pa.table(
                {
                    "email": table.column("email").take(
                        np.random.default_rng(2).integers(0, args.rows, 100_000)
                    ),
                    "total": pa.array(np.arange(100_000)),
                }
            )
            pq.write_table(orders, work / "orders.parquet")
            encrypt_fields_file(
                ring,
                work / "orders.parquet",
                work / "orders.enc.parquet",
                deterministic=["email"],
                key="join",
            )
            eo = pq.read_table(work / "orders.enc.parquet")
            users_enc = mid.select(["email", "id"]).group_by("email").aggregate([("id", "min")])
            users_plain = table.select(["email", "id"]).group_by("email").aggregate([("id", "min")])
            j_enc = eo.join(users_enc, "email", join_type="inner").num_rows
            j_plain = orders.join(users_plain, "email", join_type="inner").num_rows
            assert j_enc == j_plain == 100_000, (j_enc, j_plain)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"{args.rows} rows x {len(ENCRYPTED)} encrypted columns; checks passed: other "
        f"columns equal with types, round trip equal, encrypted join {j_enc} = plaintext "
        f"join {j_plain} rows",
        file=sys.stderr,
    )
    print(f"\nmedian of {args.runs} runs, one process, {args.rows:,} rows\n")
    print("| operation | median s | rows/s | encrypted cells/s |")
    print("|---|---:|---:|---:|")
    for name, samples in times.items():
        med = statistics.median(samples)
        cells = f"{args.rows * len(ENCRYPTED) / med:,.0f}" if "floor" not in name else "-"
        print(f"| {name} | {med:.2f} | {args.rows / med:,.0f} | {cells} |")


if __name__ == "__main__":
    main()
