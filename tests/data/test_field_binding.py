"""Cells swapped between rows (issue 11 §4): bound to the row with --bind-to, per format."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aisec.cli.main import main
from aisec.core.crypto import Keyring
from aisec.core.errors import CryptoError, InputError
from aisec.core.identity import os_user
from aisec.data import decrypt_fields_file, encrypt_fields_file
from aisec.data._csv_cells import read_records

CSV = b"id,email,name\n1,alice@example.com,Alice\n2,bob@example.com,Bob\n"


def _swap_csv_cells(path: Path, column: int) -> None:
    import io

    records = list(read_records(io.BytesIO(path.read_bytes())))
    a, b = records[1].cells, records[2].cells
    a[column], b[column] = b[column], a[column]
    path.write_bytes(b"".join(b",".join(r.cells) + r.newline for r in records))


def _swap_jsonl_cells(path: Path, field: str) -> None:
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    lines[0][field], lines[1][field] = lines[1][field], lines[0][field]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))


def _swap_parquet_cells(path: Path, column: str) -> None:
    table = pq.read_table(path)
    values = table.column(column).to_pylist()
    values[0], values[1] = values[1], values[0]
    i = table.schema.get_field_index(column)
    table = table.set_column(i, table.schema.field(i), pa.array(values, type=pa.binary()))
    pq.write_table(table, path)


def test_swapped_csv_cells_decrypt_without_binding(ring: Keyring, tmp_path: Path) -> None:
    """The defect as filed: bound to the column only, a swap hands Bob Alice's e-mail."""
    (tmp_path / "u.csv").write_bytes(CSV)
    encrypt_fields_file(ring, tmp_path / "u.csv", tmp_path / "e.csv", key="pii", fields=["email"])
    _swap_csv_cells(tmp_path / "e.csv", 1)
    decrypt_fields_file(ring, tmp_path / "e.csv", tmp_path / "d.csv", fields=["email"])
    assert b"1,bob@example.com,Alice" in (tmp_path / "d.csv").read_bytes()


def test_swapped_csv_cells_fail_with_bind_to(ring: Keyring, tmp_path: Path) -> None:
    (tmp_path / "u.csv").write_bytes(CSV)
    encrypt_fields_file(
        ring, tmp_path / "u.csv", tmp_path / "e.csv", key="pii", fields=["email"], bind_to=["id"]
    )
    decrypt_fields_file(  # unswapped: round trip
        ring, tmp_path / "e.csv", tmp_path / "ok.csv", fields=["email"], bind_to=["id"]
    )
    assert (tmp_path / "ok.csv").read_bytes() == CSV
    _swap_csv_cells(tmp_path / "e.csv", 1)
    with pytest.raises(CryptoError, match=r"CSV line 2, column 'email'.*another row"):
        decrypt_fields_file(
            ring, tmp_path / "e.csv", tmp_path / "d.csv", fields=["email"], bind_to=["id"]
        )
    assert not (tmp_path / "d.csv").exists()


def test_swapped_jsonl_cells_fail_with_bind_to(ring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "u.jsonl"
    src.write_text('{"id": 1, "email": "alice@example.com"}\n{"id": 2, "email": "bob@x.org"}\n')
    encrypt_fields_file(
        ring, src, tmp_path / "e.jsonl", key="pii", fields=["email"], bind_to=["id"]
    )
    _swap_jsonl_cells(tmp_path / "e.jsonl", "email")
    with pytest.raises(CryptoError, match=r"JSONL line 1, field 'email'.*another row"):
        decrypt_fields_file(
            ring, tmp_path / "e.jsonl", tmp_path / "d.jsonl", fields=["email"], bind_to=["id"]
        )


def test_swapped_parquet_cells_fail_with_bind_to(ring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "u.parquet"
    pq.write_table(
        pa.table({"id": [1, 2, 3], "email": ["alice@example.com", "bob@x.org", None]}), src
    )
    encrypt_fields_file(
        ring, src, tmp_path / "e.parquet", key="pii", fields=["email"], bind_to=["id"]
    )
    decrypt_fields_file(ring, tmp_path / "e.parquet", tmp_path / "ok.parquet")  # recorded
    assert pq.read_table(tmp_path / "ok.parquet").to_pydict() == pq.read_table(src).to_pydict()
    _swap_parquet_cells(tmp_path / "e.parquet", "email")
    with pytest.raises(CryptoError, match="another row"):
        decrypt_fields_file(ring, tmp_path / "e.parquet", tmp_path / "d.parquet")
    assert not (tmp_path / "d.parquet").exists()


def test_changed_row_identity_fails(ring: Keyring, tmp_path: Path) -> None:
    """Editing the id of a row (instead of moving the cell) is the same attack."""
    (tmp_path / "u.csv").write_bytes(CSV)
    encrypt_fields_file(
        ring, tmp_path / "u.csv", tmp_path / "e.csv", key="pii", fields=["email"], bind_to=["id"]
    )
    data = (tmp_path / "e.csv").read_bytes()
    (tmp_path / "e.csv").write_bytes(data.replace(b"\n1,", b"\n2,", 1))
    with pytest.raises(CryptoError, match="another row"):
        decrypt_fields_file(
            ring, tmp_path / "e.csv", tmp_path / "d.csv", fields=["email"], bind_to=["id"]
        )


def test_bound_cells_need_the_binding_to_decrypt(ring: Keyring, tmp_path: Path) -> None:
    (tmp_path / "u.csv").write_bytes(CSV)
    encrypt_fields_file(
        ring, tmp_path / "u.csv", tmp_path / "e.csv", key="pii", fields=["email"], bind_to=["id"]
    )
    with pytest.raises(CryptoError, match="pass the same --bind-to"):
        decrypt_fields_file(ring, tmp_path / "e.csv", tmp_path / "d.csv", fields=["email"])


def test_deterministic_columns_stay_joinable_and_unbound(ring: Keyring, tmp_path: Path) -> None:
    """The documented trade-off: a deterministic column joins, so it is not row-bound."""
    (tmp_path / "u.csv").write_bytes(b"id,email\n1,same@x.org\n2,same@x.org\n")
    encrypt_fields_file(
        ring,
        tmp_path / "u.csv",
        tmp_path / "e.csv",
        deterministic=["email"],
        det_key="join",
        bind_to=["id"],
    )
    rows = (tmp_path / "e.csv").read_bytes().split(b"\n")
    assert rows[1].split(b",")[1] == rows[2].split(b",")[1]


def test_bind_column_cannot_be_encrypted(ring: Keyring, tmp_path: Path) -> None:
    (tmp_path / "u.csv").write_bytes(CSV)
    with pytest.raises(InputError, match="row identity must stay readable"):
        encrypt_fields_file(
            ring, tmp_path / "u.csv", tmp_path / "e.csv", key="pii", fields=["id"], bind_to=["id"]
        )


def test_policy_primary_key_makes_binding_the_default(
    ring: Keyring, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = Path(os.environ["AISEC_HOME"])
    (home / "aisec.yaml").write_text(
        f"access:\n  principals:\n    - {{name: {os_user()}, roles: [admin]}}\n"
        'data:\n  datasets:\n    - {path: "users*.csv", primary_key: [id]}\n'
    )
    (Path.cwd() / "users.csv").write_bytes(CSV)
    args = ["data", "encrypt-fields", "users.csv", "e.csv", "--key", "pii", "--fields", "email"]
    assert main(args) == 0
    assert "bound to row id" in capsys.readouterr().err
    _swap_csv_cells(Path.cwd() / "e.csv", 1)
    # e.csv matches no data set: the binding must be given again to decrypt
    assert main(["data", "decrypt-fields", "e.csv", "d.csv", "--fields", "email"]) == 2
    assert "pass the same --bind-to" in capsys.readouterr().err
    argv = ["data", "decrypt-fields", "e.csv", "d.csv", "--fields", "email", "--bind-to", "id"]
    assert main(argv) == 2
    assert "another row" in capsys.readouterr().err
    assert not (Path.cwd() / "d.csv").exists()


def test_cli_without_binding_says_so(ring: Keyring, capsys: pytest.CaptureFixture[str]) -> None:
    (Path.cwd() / "u.csv").write_bytes(CSV)
    args = ["data", "encrypt-fields", "u.csv", "e.csv", "--key", "pii", "--fields", "email"]
    assert main(args) == 0
    assert "bound to their column only" in capsys.readouterr().err
