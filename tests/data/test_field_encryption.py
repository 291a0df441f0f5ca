"""Field-level encryption: CSV, JSONL and Parquet round trips, joins, tampering, fuzzing."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aisec.core.crypto import Keyring
from aisec.core.errors import AisecError, CryptoError, InputError
from aisec.data import PARQUET_META, decrypt_fields_file, encrypt_fields_file
from aisec.data._csv_cells import read_records

CSV = (
    b"id,email,name,note,amount\r\n"
    b'1,alice@example.com,"Smith, Jane","said ""hi""\nthen left", 0010.50\r\n'
    b"2,bob@example.com,Bob,,7\r\n"
    b"3,alice@example.com,  Al ,plain,1e3\r\n"
)


def _cells(data: bytes, column: int) -> list[bytes]:
    import io

    return [r.cells[column] for r in read_records(io.BytesIO(data))][1:]


def test_csv_round_trip_is_byte_identical(ring: Keyring, tmp_path: Path) -> None:
    src, enc, out = tmp_path / "u.csv", tmp_path / "e.csv", tmp_path / "d.csv"
    src.write_bytes(CSV)
    res = encrypt_fields_file(
        ring, src, enc, key="pii", fields=["name", "note"], deterministic=["email"], det_key="join"
    )
    assert (res.rows, res.cells) == (3, 9)
    blob = enc.read_bytes()
    # Plaintexts that cannot occur inside base64 by chance (punctuation or length).
    for secret in (b"alice@", b"Smith, Jane", b'said ""hi""', b",Bob,"):
        assert secret not in blob
    for col in (0, 4):  # untouched cells: exact bytes, including odd spacing and number forms
        assert _cells(blob, col) == _cells(CSV, col)
    assert blob.split(b"\r\n", 1)[0] == b"id,email,name,note,amount"
    decrypt_fields_file(ring, enc, out, fields=["name", "note", "email"])
    assert out.read_bytes() == CSV


def test_csv_deterministic_column_joins(ring: Keyring, tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    orders = tmp_path / "orders.csv"
    users.write_bytes(b"email,tier\nalice@example.com,gold\nbob@example.com,free\n")
    orders.write_bytes(
        b"email,total\nbob@example.com,3\nalice@example.com,9\nalice@example.com,1\n"
    )
    for f in (users, orders):
        encrypt_fields_file(ring, f, f.with_suffix(".enc.csv"), deterministic=["email"], key="join")
    u = _cells(users.with_suffix(".enc.csv").read_bytes(), 0)
    o = _cells(orders.with_suffix(".enc.csv").read_bytes(), 0)
    assert u[0] != u[1]
    assert o == [u[1], u[0], u[0]]  # equal plaintexts join on equal ciphertexts


def test_random_fields_hide_equal_values(ring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "a.csv"
    src.write_bytes(b"v\nsame\nsame\n")
    encrypt_fields_file(ring, src, tmp_path / "e.csv", key="pii", fields=["v"])
    a, b = _cells((tmp_path / "e.csv").read_bytes(), 0)
    assert a != b


def test_jsonl_round_trip_keeps_untouched_bytes(ring: Keyring, tmp_path: Path) -> None:
    lines = (
        b'{"id": 1, "email":"alice@example.com",  "score": 1.50, "tags": ["a", {"b": null}]}\n'
        b'{"id":2,"email":null,"name":"\\u00e9l\\u00e8ve","score":2E+1}\r\n'
        b"\n"
        b'{"id":3}\n'
        b'{ "name" : "Zo\xc3\xab" , "id" : 4 }'
    )
    src, enc, out = tmp_path / "a.jsonl", tmp_path / "e.jsonl", tmp_path / "d.jsonl"
    src.write_bytes(lines)
    res = encrypt_fields_file(
        ring, src, enc, key="pii", fields=["name", "tags"], deterministic=["email"], det_key="join"
    )
    assert res.rows == 4 and res.cells == 5
    blob = enc.read_bytes()
    assert b"alice@" not in blob and b"Zo\xc3\xab" not in blob and b'"b"' not in blob
    assert b'"id": 1, "email":"' in blob and b',  "score": 1.50, "tags": "' in blob
    assert b'"score":2E+1}\r\n' in blob and b'\n\n{"id":3}\n' in blob
    decrypt_fields_file(ring, enc, out, fields=["name", "tags", "email"])
    assert out.read_bytes() == lines


def _table() -> pa.Table:
    return pa.table(
        {
            "id": pa.array([1, 2, 3, 4], pa.int64()),
            "email": pa.array(["a@x", "b@x", None, "a@x"]),
            "ssn": pa.array(["123-45-6789", "987-65-4321", "111-22-3333", None]),
            "score": pa.array([1.5, None, -2.25, 1e300], pa.float64()),
            "age": pa.array([31, 42, None, 7], pa.int16()),
            "flag": pa.array([True, False, None, True]),
            "when": pa.array(
                [
                    dt.datetime(2024, 1, 1, 12),
                    None,
                    dt.datetime(1999, 12, 31),
                    dt.datetime(2030, 5, 5),
                ],
                pa.timestamp("ms", tz="Europe/Paris"),
            ),
            "day": pa.array([dt.date(2024, 2, 29), None, dt.date(1970, 1, 1), dt.date(2000, 1, 1)]),
            "amount": pa.array(
                [decimal.Decimal("10.25"), None, decimal.Decimal("-3.50"), decimal.Decimal("0.01")],
                pa.decimal128(12, 2),
            ),
            "blob": pa.array([b"\x00\x01", b"", None, b"\xff"], pa.binary()),
            "cat": pa.array(["x", "y", "x", None]).dictionary_encode(),
            "note": pa.array(["keep", "me", "as", "is"]),
        },
        metadata={b"owner": b"data-team"},
    )


ENCRYPTED = ["ssn", "score", "age", "flag", "when", "day", "amount", "blob", "cat"]


def test_parquet_round_trip_restores_types_and_values(ring: Keyring, tmp_path: Path) -> None:
    table = _table()
    src, enc, out = tmp_path / "t.parquet", tmp_path / "e.parquet", tmp_path / "d.parquet"
    pq.write_table(table, src)
    encrypt_fields_file(
        ring, src, enc, key="pii", fields=ENCRYPTED, deterministic=["email"], det_key="join"
    )
    mid = pq.read_table(enc)
    for col in [*ENCRYPTED, "email"]:
        assert mid.schema.field(col).type == pa.binary()
    assert mid.column("ssn").null_count == 1  # nulls stay null (validity is visible)
    assert b"123-45-6789" not in enc.read_bytes()
    assert mid.column("id").equals(table.column("id"))
    assert mid.column("note").equals(table.column("note"))
    assert PARQUET_META in mid.schema.metadata and mid.schema.metadata[b"owner"] == b"data-team"
    res = decrypt_fields_file(ring, enc, out)
    assert res.rows == 4
    back = pq.read_table(out)
    assert back.schema.equals(table.schema, check_metadata=True)
    assert back.equals(table)


def test_parquet_deterministic_column_joins(ring: Keyring, tmp_path: Path) -> None:
    users = pa.table({"email": ["a@x", "b@x", "c@x"], "tier": ["gold", "free", "pro"]})
    orders = pa.table({"email": ["c@x", "a@x", "a@x", "z@x"], "total": [1, 2, 3, 4]})
    pq.write_table(users, tmp_path / "u.parquet")
    pq.write_table(orders, tmp_path / "o.parquet")
    for n in ("u", "o"):
        encrypt_fields_file(
            ring,
            tmp_path / f"{n}.parquet",
            tmp_path / f"{n}.e.parquet",
            key="join",
            deterministic=["email"],
        )
    eu, eo = pq.read_table(tmp_path / "u.e.parquet"), pq.read_table(tmp_path / "o.e.parquet")
    cols = ["total", "tier"]
    joined = eo.join(eu, "email", join_type="inner").select(cols).sort_by("total")
    plain = orders.join(users, "email", join_type="inner").select(cols).sort_by("total")
    assert joined.equals(plain) and joined.num_rows == 3


def test_partial_parquet_decrypt_keeps_the_rest_recorded(ring: Keyring, tmp_path: Path) -> None:
    pq.write_table(_table(), tmp_path / "t.parquet")
    encrypt_fields_file(
        ring, tmp_path / "t.parquet", tmp_path / "e.parquet", key="pii", fields=["ssn", "age"]
    )
    decrypt_fields_file(ring, tmp_path / "e.parquet", tmp_path / "p.parquet", fields=["age"])
    part = pq.read_table(tmp_path / "p.parquet")
    assert part.schema.field("age").type == pa.int16()
    assert part.schema.field("ssn").type == pa.binary()
    decrypt_fields_file(ring, tmp_path / "p.parquet", tmp_path / "d.parquet")
    assert pq.read_table(tmp_path / "d.parquet").equals(_table())


def test_nested_parquet_column_is_refused(ring: Keyring, tmp_path: Path) -> None:
    pq.write_table(pa.table({"l": [[1, 2], [3]]}), tmp_path / "n.parquet")
    with pytest.raises(InputError, match="not nested"):
        encrypt_fields_file(
            ring, tmp_path / "n.parquet", tmp_path / "o.parquet", key="pii", fields=["l"]
        )
    assert not (tmp_path / "o.parquet").exists()


def test_cell_moved_to_another_column_fails(ring: Keyring, tmp_path: Path) -> None:
    """Random cells are bound to their column name: swapping columns is detected."""
    src = tmp_path / "a.csv"
    src.write_bytes(b"a,b\nx,y\n")
    enc = tmp_path / "e.csv"
    encrypt_fields_file(ring, src, enc, key="pii", fields=["a", "b"])
    header, row = enc.read_bytes().split(b"\n")[:2]
    a, b = row.split(b",")
    enc.write_bytes(header + b"\n" + b + b"," + a + b"\n")
    out = tmp_path / "d.csv"
    with pytest.raises(CryptoError, match="line 2, column 'a'"):
        decrypt_fields_file(ring, enc, out, fields=["a", "b"])
    assert not out.exists()


def test_tampered_cell_fails_and_leaves_nothing(ring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_bytes(b'{"s":"secret"}\n')
    enc = tmp_path / "e.jsonl"
    encrypt_fields_file(ring, src, enc, key="pii", fields=["s"])
    value = enc.read_bytes().split(b'"')[3]
    raw = bytearray(base64.b64decode(value))
    raw[-1] ^= 1
    enc.write_bytes(b'{"s":"' + base64.b64encode(bytes(raw)) + b'"}\n')
    with pytest.raises(CryptoError, match="failed authentication"):
        decrypt_fields_file(ring, enc, tmp_path / "d.jsonl", fields=["s"])
    assert not (tmp_path / "d.jsonl").exists()


def test_disabled_version_blocks_field_decryption(ring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "a.csv"
    src.write_bytes(b"s\nsecret\n")
    encrypt_fields_file(ring, src, tmp_path / "e.csv", key="pii", fields=["s"])
    ring.rotate("pii")
    ring.disable_version("pii", 1)
    with pytest.raises(CryptoError, match="version 1 is disabled"):
        decrypt_fields_file(ring, tmp_path / "e.csv", tmp_path / "d.csv", fields=["s"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"key": "pii", "fields": ["nope"]}, "no column 'nope'"),
        ({"key": "join", "fields": ["email"]}, "would leak equal values"),
        ({"key": "pii", "deterministic": ["email"]}, "not deterministic"),
        ({"fields": ["email"]}, "--fields needs --key"),
        ({"key": "pii"}, "at least one column"),
        (
            {"key": "pii", "fields": ["email"], "deterministic": ["email"], "det_key": "join"},
            "both",
        ),
    ],
)
def test_usage_errors(ring: Keyring, tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    src = tmp_path / "u.csv"
    src.write_bytes(CSV)
    with pytest.raises(InputError, match=match):
        encrypt_fields_file(ring, src, tmp_path / "o.csv", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "o.csv").exists()


def test_ragged_csv_row_is_an_input_error(ring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "r.csv"
    src.write_bytes(b"a,b\n1,2\n3\n")
    with pytest.raises(InputError, match="line 3: 1 cells"):
        encrypt_fields_file(ring, src, tmp_path / "o.csv", key="pii", fields=["a"])
    src.write_bytes(b'a,b\n"open,2\n')
    with pytest.raises(InputError, match="never closed"):
        encrypt_fields_file(ring, src, tmp_path / "o.csv", key="pii", fields=["a"])


# CSV files are UTF-8 text: lone surrogates (category Cs) cannot be written to one
csv_cell = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters='",\r\n'),
        max_size=8,
    ),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8).map(
        lambda s: '"' + s.replace('"', '""') + '"'
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(csv_cell, min_size=3, max_size=3), max_size=6),
    newline=st.sampled_from(["\n", "\r\n"]),
    trailing=st.booleans(),
)
def test_csv_property_round_trip(
    ring: Keyring,
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    newline: str,
    trailing: bool,
) -> None:
    folder = tmp_path_factory.mktemp("p")
    body = newline.join(",".join(r) for r in [["a", "b", "c"], *rows])
    if trailing:
        body += newline
    data = body.encode()
    src, enc, out = folder / "x.csv", folder / "e.csv", folder / "d.csv"
    src.write_bytes(data)
    try:
        encrypt_fields_file(
            ring, src, enc, key="pii", fields=["b"], deterministic=["c"], det_key="join"
        )
    except InputError:
        return  # e.g. a row that is a lone empty cell against a 3-column header
    decrypt_fields_file(ring, enc, out, fields=["b", "c"])
    assert out.read_bytes() == data
    assert _cells(enc.read_bytes(), 0) == _cells(data, 0)


def test_fuzz_encrypted_files_fail_cleanly(ring: Keyring, tmp_path: Path) -> None:
    rng = random.Random(7)
    src = tmp_path / "u.csv"
    src.write_bytes(CSV)
    enc = tmp_path / "e.csv"
    encrypt_fields_file(
        ring, src, enc, key="pii", fields=["name"], deterministic=["email"], det_key="join"
    )
    pq.write_table(_table(), tmp_path / "t.parquet")
    encrypt_fields_file(
        ring, tmp_path / "t.parquet", tmp_path / "e.parquet", key="pii", fields=["ssn"]
    )
    for path, fields in ((enc, ["name", "email"]), (tmp_path / "e.parquet", [])):
        good = path.read_bytes()
        for i in range(25):
            bad = bytearray(good)
            for _ in range(rng.randint(1, 3)):
                bad[rng.randrange(len(bad))] = rng.randrange(256)
            if rng.random() < 0.3:
                bad = bad[: rng.randrange(len(bad))]
            mutated = path.with_name(f"m{i}{path.suffix}")
            mutated.write_bytes(bytes(bad))
            out = path.with_name(f"o{i}{path.suffix}")
            try:
                decrypt_fields_file(ring, mutated, out, fields=fields)
            except AisecError:
                assert not out.exists()


def test_tsv_defaults_to_tab_delimiter(ring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "a.tsv"
    src.write_bytes(b"id\tssn\n1\t123-45-6789\n")
    enc, out = tmp_path / "e.tsv", tmp_path / "d.tsv"
    encrypt_fields_file(ring, src, enc, key="pii", fields=["ssn"])
    header, row = enc.read_bytes().splitlines()
    assert header == b"id\tssn" and row.startswith(b"1\t") and b"123-45" not in row
    decrypt_fields_file(ring, enc, out, fields=["ssn"])
    assert out.read_bytes() == src.read_bytes()


json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    objects=st.lists(
        st.dictionaries(st.sampled_from(["a", "b", "c", "é"]), json_value, max_size=4),
        max_size=5,
    ),
    separators=st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : ")]),
    ensure_ascii=st.booleans(),
)
def test_jsonl_property_round_trip(
    ring: Keyring,
    tmp_path_factory: pytest.TempPathFactory,
    objects: list[dict[str, object]],
    separators: tuple[str, str],
    ensure_ascii: bool,
) -> None:
    import json

    folder = tmp_path_factory.mktemp("j")
    data = "".join(
        json.dumps(o, separators=separators, ensure_ascii=ensure_ascii) + "\n" for o in objects
    ).encode()
    src, enc, out = folder / "x.jsonl", folder / "e.jsonl", folder / "d.jsonl"
    src.write_bytes(data)
    encrypt_fields_file(
        ring, src, enc, key="pii", fields=["a", "é"], deterministic=["b"], det_key="join"
    )
    for line, original in zip(enc.read_bytes().splitlines(), objects, strict=True):
        parsed = json.loads(line)
        assert {k: v for k, v in parsed.items() if k not in ("a", "é", "b")} == {
            k: v for k, v in original.items() if k not in ("a", "é", "b")
        }
    decrypt_fields_file(ring, enc, out, fields=["a", "b", "é"])
    assert out.read_bytes() == data


def test_csv_resaved_with_quotes_still_decrypts(ring: Keyring, tmp_path: Path) -> None:
    src, enc = tmp_path / "a.csv", tmp_path / "e.csv"
    src.write_bytes(b"id,ssn\n1,123-45-6789\n")
    encrypt_fields_file(ring, src, enc, key="pii", fields=["ssn"])
    header, row = enc.read_bytes().splitlines()
    ident, cell = row.split(b",")
    enc.write_bytes(header + b"\n" + ident + b',"' + cell + b'"\n')  # as a spreadsheet might
    decrypt_fields_file(ring, enc, tmp_path / "d.csv", fields=["ssn"])
    assert (tmp_path / "d.csv").read_bytes() == src.read_bytes()
