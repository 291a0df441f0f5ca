"""Parsers behind field encryption: random input gives a result or a clean error, and the
Parquet cell codec round-trips every supported type."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aisec.core.crypto import Keyring
from aisec.core.errors import InputError
from aisec.data import encrypt_fields_file
from aisec.data._parquet_cells import from_cells, to_cells

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".jsonl", ".parquet"]))
def test_random_bytes_never_crash_the_readers(
    ring: Keyring, tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str
) -> None:
    folder = tmp_path_factory.mktemp("fz")
    src, dst = folder / f"in{suffix}", folder / f"out{suffix}"
    src.write_bytes(data)
    try:
        encrypt_fields_file(ring, src, dst, key="pii", fields=["a"])
    except InputError:
        assert not dst.exists()


@SETTINGS
@given(text=st.text(alphabet='ab,"\n\r x', max_size=60))
def test_csv_shaped_text_never_crashes(
    ring: Keyring, tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("csv")
    src, dst = folder / "in.csv", folder / "out.csv"
    src.write_text("a,b\n" + text)
    try:
        res = encrypt_fields_file(ring, src, dst, key="pii", fields=["a"])
    except InputError:
        assert not dst.exists()
    else:
        assert res.rows >= 0 and dst.exists()


def _typed(t: pa.DataType) -> st.SearchStrategy[object]:
    if pa.types.is_boolean(t):
        return st.booleans()
    if pa.types.is_integer(t):
        bits = t.bit_width
        lo, hi = (
            (0, 2**bits - 1)
            if pa.types.is_unsigned_integer(t)
            else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        )
        return st.integers(lo, hi)
    if pa.types.is_floating(t):
        return st.floats(allow_nan=False, width=t.bit_width)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return st.text(max_size=12)
    if pa.types.is_binary(t):
        return st.binary(max_size=12)
    if pa.types.is_timestamp(t):
        return st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1))
    if pa.types.is_date(t):
        return st.dates()
    raise AssertionError(t)


TYPES = [
    pa.bool_(), pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint64(),
    pa.float32(), pa.float64(), pa.string(), pa.large_string(), pa.binary(),
    pa.timestamp("us"), pa.timestamp("ns", tz="UTC"), pa.date32(),
]  # fmt: skip


@SETTINGS
@given(data=st.data(), t=st.sampled_from(TYPES), offset=st.integers(0, 3))
def test_parquet_cell_codec_round_trip(data: st.DataObject, t: pa.DataType, offset: int) -> None:
    values = data.draw(st.lists(st.one_of(st.none(), _typed(t)), max_size=20))
    arr = pa.array(values, type=t).slice(min(offset, len(values)))  # sliced arrays have offsets
    cells = to_cells(arr)
    assert len(cells) == len(arr)
    back = from_cells(cells, pa.field("c", t), "c")
    assert back.type == t
    assert back.equals(arr)
