"""Field-level encryption of CSV, JSON Lines and Parquet files through the keyring.

Chosen columns are encrypted cell by cell: AES-GCM bound to the column name for an aead
key, AES-SIV for a deterministic key (equal values give equal ciphertexts, so equality
joins and group-bys keep working). Everything else is written back unchanged: for CSV
and JSONL the exact bytes of every other cell, for Parquet the exact values and types.
CSV/JSONL cells become base64 text; Parquet cells become binary, with the original Arrow
field kept in the schema metadata so decryption restores the type.

Row binding (``bind_to``): a random cell's associated data is its column name and, when
bound, the values of the row's identity columns (a primary key), so a cell swapped into
another row fails to decrypt. Binding is the default when the policy declares a primary
key for the file (``data.datasets[].primary_key``). Deterministic cells are never bound to
their row: binding would give equal values different ciphertexts and end the joins they
exist for, so they can still be moved between rows (the trade-off of joinability).
Decryption needs the same binding: Parquet records it; CSV and JSONL take ``bind_to``
again (or the same policy default).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from aisec.core.crypto import FieldCipher, Keyring, atomic_output, check_in_out
from aisec.core.errors import CryptoError, InputError
from aisec.data import _csv_cells, _jsonl_cells

TableFormat = Literal["csv", "jsonl", "parquet"]
FORMATS: tuple[TableFormat, ...] = ("csv", "jsonl", "parquet")
_SUFFIXES: dict[str, TableFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
PARQUET_META = b"aisec.encrypted_fields"
_BATCH_ROWS = 64 * 1024


@dataclass(frozen=True, slots=True)
class FieldsResult:
    """What a field encryption or decryption did."""

    format: TableFormat
    rows: int
    cells: int
    columns: tuple[str, ...]
    bound_to: tuple[str, ...] = ()


def detect_format(path: Path, fmt: str | None = None) -> TableFormat:
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
        return fmt
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InputError(
            f"{path}: cannot tell the format from the suffix; pass --file-format csv|jsonl|parquet"
        )
    return found


def _delimiter(path: Path, given: str | None) -> bytes:
    """The CSV delimiter: as given, else a tab for ``.tsv`` files and a comma otherwise."""
    if given is None:
        return b"\t" if path.suffix.lower() == ".tsv" else b","
    raw = given.encode("utf-8")
    if len(raw) != 1:
        raise InputError(f"CSV delimiter {given!r}: expected one ASCII character")
    return raw


def default_bind_to(src: Path) -> list[str]:
    """The primary key the active policy declares for ``src`` (``data.datasets``), else []."""
    from aisec.core.policy import active_policy

    policy = active_policy()
    return policy.data.primary_key(src) if policy is not None else []


def _check_bind(bind_to: Sequence[str], encrypted: Sequence[str]) -> list[str]:
    bind = list(bind_to)
    if len(set(bind)) != len(bind):
        raise InputError("a --bind-to column is named twice")
    clash = sorted(set(bind) & set(encrypted))
    if clash:
        raise InputError(
            f"--bind-to column(s) {', '.join(clash)} are also encrypted; the row identity "
            "must stay readable to decrypt the row"
        )
    return bind


def _identity(values: Sequence[bytes | None]) -> bytes:
    """One row's bind values, length-prefixed (a null is distinct from an empty value)."""
    out = bytearray()
    for v in values:
        if v is None:
            out += b"\x00"
        else:
            out += b"\x01" + len(v).to_bytes(4, "big") + v
    return bytes(out)


def _plan(
    ring: Keyring,
    key: str | None,
    fields: Sequence[str],
    deterministic: Sequence[str],
    det_key: str | None,
) -> dict[str, FieldCipher]:
    if not fields and not deterministic:
        raise InputError("name at least one column with --fields or --deterministic")
    both = set(fields) & set(deterministic)
    if both:
        raise InputError(
            f"column(s) {', '.join(sorted(both))} given as both random and deterministic"
        )
    if len(set(fields)) != len(fields) or len(set(deterministic)) != len(deterministic):
        raise InputError("a column is named twice")
    if fields and not key:
        raise InputError("--fields needs --key NAME (an aead key)")
    det_key = det_key or key
    if deterministic and not det_key:
        raise InputError("--deterministic needs --det-key NAME (a deterministic key)")
    plan: dict[str, FieldCipher] = {}
    for col in fields:
        cipher = ring.field_cipher(key or "", col)
        if cipher.deterministic:
            raise InputError(
                f"key {key!r} is deterministic, so --fields would leak equal values; give an "
                "aead key with --key, and name joinable columns with --deterministic"
            )
        plan[col] = cipher
    for col in deterministic:
        cipher = ring.field_cipher(det_key or "", col)
        if not cipher.deterministic:
            raise InputError(
                f"key {det_key!r} is not deterministic; pass --det-key NAME with a key made by "
                "`aisec keys create NAME --purpose deterministic`"
            )
        plan[col] = cipher
    return plan


def encrypt_fields_file(
    ring: Keyring,
    src: Path,
    dst: Path,
    *,
    key: str | None = None,
    fields: Sequence[str] = (),
    deterministic: Sequence[str] = (),
    det_key: str | None = None,
    fmt: str | None = None,
    delimiter: str | None = None,
    force: bool = False,
    bind_to: Sequence[str] | None = None,
) -> FieldsResult:
    """Encrypt columns of a CSV, JSONL or Parquet file into ``dst`` (atomically).

    ``bind_to``: columns identifying a row, bound into each random cell; None means the
    policy's primary key for ``src`` (if any), ``()`` no binding.
    """
    kind = detect_format(src, fmt)
    check_in_out(src, dst, force)
    bind = _check_bind(
        default_bind_to(src) if bind_to is None else bind_to, [*fields, *deterministic]
    )
    plan = _plan(ring, key, fields, deterministic, det_key)
    encrypt = {c: _encoder(cipher) for c, cipher in plan.items()}
    modes = {c: ("deterministic" if p.deterministic else "random") for c, p in plan.items()}
    with _open(src) as fin, atomic_output(dst) as fout:
        if kind == "csv":
            rows, cells = _csv(fin, fout, encrypt, _delimiter(src, delimiter), bind)
        elif kind == "jsonl":
            rows, cells = _jsonl(fin, fout, encrypt, True, bind)
        else:
            rows, cells = _parquet_encrypt(fin, fout, plan, modes, bind)
    _record("data.encrypt-fields", src, kind, rows, plan, bind)
    return FieldsResult(kind, rows, cells, tuple(plan), tuple(bind))


def decrypt_fields_file(
    ring: Keyring,
    src: Path,
    dst: Path,
    *,
    fields: Sequence[str] = (),
    fmt: str | None = None,
    delimiter: str | None = None,
    force: bool = False,
    bind_to: Sequence[str] | None = None,
) -> FieldsResult:
    """Decrypt columns of a file made by :func:`encrypt_fields_file` into ``dst``.

    Each cell names its key version (Tink key id), so no key is passed. CSV and JSONL
    need ``fields`` and the ``bind_to`` used to encrypt (None: the policy's primary key
    for the file); Parquet records its encrypted columns and their binding.
    """
    kind = detect_format(src, fmt)
    check_in_out(src, dst, force)
    if kind != "parquet" and not fields:
        raise InputError("name the encrypted columns with --fields")
    given = None if bind_to is None else list(bind_to)
    with _open(src) as fin, atomic_output(dst) as fout:
        if kind == "parquet":
            rows, cells, cols, bind = _parquet_decrypt(ring, fin, fout, fields, given)
        else:
            bind = _check_bind(default_bind_to(src) if given is None else given, fields)
            decrypt = {c: _decoder(ring, c) for c in fields}
            cols = tuple(fields)
            if kind == "csv":
                rows, cells = _csv(fin, fout, decrypt, _delimiter(src, delimiter), bind)
            else:
                rows, cells = _jsonl(fin, fout, decrypt, False, bind)
    _record("data.decrypt-fields", src, kind, rows, dict.fromkeys(cols), bind)
    return FieldsResult(kind, rows, cells, cols, tuple(bind))


def _record(
    action: str, src: Path, kind: str, rows: int, cols: dict[str, Any], bind: Sequence[str]
) -> None:
    from aisec.core.audit import record

    details: dict[str, Any] = {"format": kind, "rows": rows, "columns": ",".join(cols)}
    if bind:
        details["bound_to"] = ",".join(bind)
    record(action, str(src), details=details)


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror})") from None


# (cell value, where it is for messages, row identity or None) -> new cell value
Transform = Callable[[bytes, str, bytes | None], bytes]


def _encoder(cipher: FieldCipher) -> Transform:
    fn = cipher.bound_function()

    def encode(value: bytes, where: str, identity: bytes | None) -> bytes:
        return base64.b64encode(fn(value, identity))

    return encode


def _decoder(ring: Keyring, column: str) -> Transform:
    decipher = ring.field_decipher(column)

    def decode(value: bytes, where: str, identity: bytes | None) -> bytes:
        try:  # a spreadsheet may have re-saved the cell quoted: base64 never holds quotes
            blob = base64.b64decode(_csv_cells.cell_value(value), validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError(f"{where}: column {column!r} is not an encrypted cell") from None
        try:
            return decipher.decrypt(blob, identity)
        except CryptoError as exc:
            raise CryptoError(f"{where}: {exc.message}") from None

    return decode


# -- CSV ---------------------------------------------------------------------------------


def _csv(
    fin: BinaryIO,
    fout: BinaryIO,
    plan: dict[str, Transform],
    delimiter: bytes,
    bind: Sequence[str] = (),
) -> tuple[int, int]:
    records = _csv_cells.read_records(fin, delimiter)
    header = next(records, None)
    if header is None:
        raise InputError("empty CSV: no header row")
    names = [_csv_cells.cell_value(c).decode("utf-8", "replace") for c in header.cells]
    targets: list[tuple[int, str, Transform]] = []
    for col, fn in plan.items():
        hits = [i for i, n in enumerate(names) if n == col]
        if not hits:
            raise InputError(f"no column {col!r} in the CSV header (columns: {', '.join(names)})")
        if len(hits) > 1:
            raise InputError(f"column {col!r} appears {len(hits)} times in the CSV header")
        targets.append((hits[0], col, fn))
    bind_at: list[int] = []
    for col in bind:
        hits = [i for i, n in enumerate(names) if n == col]
        if len(hits) != 1:
            what = "no" if not hits else f"{len(hits)} times a"
            raise InputError(f"--bind-to: {what} column {col!r} in the CSV header")
        bind_at.append(hits[0])
    _csv_cells.write_record(fout, header.cells, header.newline, delimiter)
    rows = cells = 0
    for rec in records:
        if rec.cells == [b""]:  # a blank line: keep it
            _csv_cells.write_record(fout, rec.cells, rec.newline, delimiter)
            continue
        if len(rec.cells) != len(header.cells):
            raise InputError(
                f"CSV line {rec.line}: {len(rec.cells)} cells, the header has {len(header.cells)}"
            )
        identity = (
            _identity([_csv_cells.cell_value(rec.cells[i]) for i in bind_at]) if bind_at else None
        )
        for i, col, fn in targets:
            rec.cells[i] = fn(rec.cells[i], f"CSV line {rec.line}, column {col!r}", identity)
            cells += 1
        _csv_cells.write_record(fout, rec.cells, rec.newline, delimiter)
        rows += 1
    return rows, cells


# -- JSON Lines ----------------------------------------------------------------------------


def _json_identity(text: str, members: list[Any], bind: Sequence[str], line_no: int) -> bytes:
    by_key = {m.key: m for m in members}
    values: list[bytes | None] = []
    for col in bind:
        m = by_key.get(col)
        if m is None:
            raise InputError(f"JSONL line {line_no}: no field {col!r} (--bind-to)")
        value = json.loads(text[m.start : m.end])
        if value is None:
            values.append(None)
        elif isinstance(value, str):
            values.append(value.encode("utf-8"))
        else:  # canonical JSON: a re-serialised file (spacing, key order) still matches
            values.append(json.dumps(value, sort_keys=True, separators=(",", ":")).encode())
    return _identity(values)


def _jsonl(
    fin: BinaryIO,
    fout: BinaryIO,
    plan: dict[str, Transform],
    encrypting: bool,
    bind: Sequence[str] = (),
) -> tuple[int, int]:
    rows = cells = 0
    for line_no, raw in enumerate(fin, start=1):
        if len(raw) > _jsonl_cells.MAX_LINE:
            raise InputError(f"JSONL line {line_no}: over {_jsonl_cells.MAX_LINE} bytes")
        body = raw.rstrip(b"\r\n")
        newline = raw[len(body) :]
        if not body.strip():
            fout.write(raw)
            continue
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"JSONL line {line_no}: not UTF-8") from None
        out: list[str] = []
        pos = 0
        members = _jsonl_cells.members(text, line_no)
        identity = _json_identity(text, members, bind, line_no) if bind else None
        for m in members:
            fn = plan.get(m.key)
            if fn is None:
                continue
            where = f"JSONL line {line_no}, field {m.key!r}"
            value = text[m.start : m.end]
            if encrypting:
                new = '"' + fn(value.encode("utf-8"), where, identity).decode("ascii") + '"'
            else:
                encoded = json.loads(value)
                if not isinstance(encoded, str):
                    raise CryptoError(f"{where}: not an encrypted cell")
                plain = fn(encoded.encode("ascii", "replace"), where, identity)
                try:
                    new = plain.decode("utf-8")
                except UnicodeDecodeError:
                    raise CryptoError(f"{where}: decrypted value is not UTF-8") from None
            out.append(text[pos : m.start])
            out.append(new)
            pos = m.end
            cells += 1
        out.append(text[pos:])
        fout.write("".join(out).encode("utf-8") + newline)
        rows += 1
    return rows, cells


# -- Parquet -------------------------------------------------------------------------------


def _parquet_file(fin: BinaryIO) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(fin)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"not a readable Parquet file: {exc}") from None


def _recorded(schema: Any) -> dict[str, dict[str, str]]:
    raw = (schema.metadata or {}).get(PARQUET_META)
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InputError("corrupt aisec metadata in the Parquet schema") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and all(isinstance(x, str) for x in v.values()) for v in data.values()
    ):
        raise InputError("corrupt aisec metadata in the Parquet schema")
    return data


def _batches(pf: Any) -> Iterator[Any]:
    """Record batches of a Parquet file; a corrupt page is an input error, not a crash."""
    import pyarrow as pa

    it = pf.iter_batches(batch_size=_BATCH_ROWS)
    while True:
        try:
            batch = next(it)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"corrupt Parquet data: {exc}") from None
        yield batch


def _with_meta(schema: Any, recorded: dict[str, dict[str, str]]) -> Any:
    meta = dict(schema.metadata or {})
    meta.pop(PARQUET_META, None)
    if recorded:
        meta[PARQUET_META] = json.dumps(recorded, sort_keys=True).encode()
    return schema.with_metadata(meta)


def _bind_indexes(schema: Any, bind: Sequence[str]) -> list[int]:
    from aisec.data import _parquet_cells

    out = []
    for col in bind:
        if schema.names.count(col) != 1:
            raise InputError(f"--bind-to: no single column {col!r} in the Parquet file")
        _parquet_cells.check_supported(col, schema.field(col).type)
        out.append(schema.get_field_index(col))
    return out


def _batch_identities(batch: Any, at: list[int]) -> list[bytes | None]:
    from aisec.data import _parquet_cells

    if not at:
        return [None] * batch.num_rows
    columns = [_parquet_cells.to_cells(batch.column(i)) for i in at]
    return [_identity(row) for row in zip(*columns, strict=True)]


def _parquet_encrypt(
    fin: BinaryIO,
    fout: BinaryIO,
    plan: dict[str, FieldCipher],
    modes: dict[str, str],
    bind: Sequence[str] = (),
) -> tuple[int, int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aisec.data import _parquet_cells

    pf = _parquet_file(fin)
    schema = pf.schema_arrow
    recorded = _recorded(schema)
    for col in plan:
        if schema.get_field_index(col) < 0:
            raise InputError(f"no column {col!r} in the Parquet file ({', '.join(schema.names)})")
        if schema.names.count(col) > 1:
            raise InputError(f"column {col!r} appears more than once")
        if col in recorded:
            raise InputError(f"column {col!r} is already encrypted")
        _parquet_cells.check_supported(col, schema.field(col).type)
    bind_at = _bind_indexes(schema, bind)
    out_schema = schema
    for col in plan:
        field = schema.field(col)
        recorded[col] = {"mode": modes[col], "field": _parquet_cells.field_to_text(field)}
        if bind and modes[col] == "random":
            recorded[col]["bind_to"] = json.dumps(list(bind))
        i = out_schema.get_field_index(col)
        out_schema = out_schema.set(i, pa.field(col, pa.binary(), nullable=True))
    out_schema = _with_meta(out_schema, recorded)
    rows = cells = 0
    with pq.ParquetWriter(fout, out_schema, compression="zstd") as writer:
        fns = {col: cipher.bound_function() for col, cipher in plan.items()}
        for batch in _batches(pf):
            arrays = list(batch.columns)
            identities = _batch_identities(batch, bind_at)
            for col in plan:
                i = batch.schema.get_field_index(col)
                values = _parquet_cells.to_cells(arrays[i])
                fn = fns[col]
                enc = [
                    None if v is None else fn(v, ident)
                    for v, ident in zip(values, identities, strict=True)
                ]
                cells += len(values)
                arrays[i] = pa.array(enc, type=pa.binary())
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=out_schema))
            rows += batch.num_rows
    return rows, cells


def _recorded_bind(recorded: dict[str, dict[str, str]], col: str) -> list[str]:
    raw = recorded[col].get("bind_to")
    if raw is None:
        return []
    try:
        bind = json.loads(raw)
    except (ValueError, RecursionError):
        bind = None
    if not isinstance(bind, list) or not all(isinstance(b, str) for b in bind):
        raise InputError("corrupt aisec metadata in the Parquet schema (bind_to)")
    return bind


def _parquet_decrypt(
    ring: Keyring,
    fin: BinaryIO,
    fout: BinaryIO,
    fields: Sequence[str],
    bind_to: list[str] | None = None,
) -> tuple[int, int, tuple[str, ...], list[str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aisec.data import _parquet_cells

    pf = _parquet_file(fin)
    schema = pf.schema_arrow
    recorded = _recorded(schema)
    if not recorded:
        raise InputError("this Parquet file has no columns encrypted by aisec")
    cols = tuple(fields) or tuple(recorded)
    unknown = [c for c in cols if c not in recorded]
    if unknown:
        raise InputError(
            f"column(s) {', '.join(unknown)} are not encrypted here (encrypted: "
            f"{', '.join(sorted(recorded))})"
        )
    binds = {c: _recorded_bind(recorded, c) for c in cols}
    for col, bind in binds.items():
        if bind_to is not None and bind and bind != bind_to:
            raise InputError(
                f"column {col!r} was bound to {', '.join(bind)} when encrypted, not "
                f"{', '.join(bind_to) or 'nothing'}"
            )
    bind_at = {c: _bind_indexes(schema, b) for c, b in binds.items()}
    out_schema = schema
    originals: dict[str, Any] = {}
    for col in cols:
        field = _parquet_cells.field_from_text(recorded[col].get("field", ""), col)
        if field.name != col:
            raise InputError(f"column {col!r}: aisec metadata describes column {field.name!r}")
        originals[col] = field
        out_schema = out_schema.set(out_schema.get_field_index(col), field)
        del recorded[col]
    out_schema = _with_meta(out_schema, recorded)
    deciphers = {c: ring.field_decipher(c) for c in cols}
    rows = cells = 0
    with pq.ParquetWriter(fout, out_schema, compression="zstd") as writer:
        for batch in _batches(pf):
            arrays = list(batch.columns)
            for col in cols:
                i = batch.schema.get_field_index(col)
                if not pa.types.is_binary(arrays[i].type):
                    raise InputError(f"column {col!r} is not an encrypted (binary) column")
                d = deciphers[col]
                identities = _batch_identities(batch, bind_at[col])
                try:
                    values = [
                        None if v is None else d.decrypt(v, ident)
                        for v, ident in zip(arrays[i].to_pylist(), identities, strict=True)
                    ]
                except CryptoError as exc:
                    raise CryptoError(f"Parquet rows {rows + 1}-: {exc.message}") from None
                cells += len(values)
                arrays[i] = _parquet_cells.from_cells(values, originals[col], col)
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=out_schema))
            rows += batch.num_rows
    used = next((b for b in binds.values() if b), [])
    return rows, cells, cols, used
