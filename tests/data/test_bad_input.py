"""Bad data files: a clear error naming the place (exit 2), never a traceback or a blow-up.

Each file is real: a CSV with a ragged row, a Parquet file whose footer was overwritten,
a JSON Lines file with an array on one line, and a 2 GB file with no newline at all
(created sparse, so it costs no disk, and deleted after).
"""

from __future__ import annotations

import resource
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from aisec.cli.main import main
from aisec.core.errors import InputError
from aisec.data._check import profile_data
from aisec.data._source import MAX_LINE_BYTES, open_source


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out + out.err


def _fails_cleanly(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> str:
    """The profile command exits 2 with one message and no traceback; returns it."""
    rc, text = _cli(capsys, "data", "profile", str(path), "--out", str(path) + ".json", *extra)
    assert rc == 2, text
    assert "Traceback" not in text and "polars" not in text.lower().split(":")[0]
    assert not Path(str(path) + ".json").exists()
    return text


def test_csv_with_a_ragged_row_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6,7\n8,9\n", encoding="utf-8")
    text = _fails_cleanly(capsys, path)
    assert "line 4" in text and "3 fields where the header has 2" in text


def test_parquet_with_a_corrupt_footer_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "corrupt.parquet"
    pl.DataFrame({"a": list(range(1000))}).write_parquet(path)
    raw = bytearray(path.read_bytes())
    raw[-12:-4] = b"\xff" * 8  # the footer length and the end of the metadata
    path.write_bytes(bytes(raw))
    text = _fails_cleanly(capsys, path)
    assert "corrupt.parquet" in text and "footer" in text


def test_parquet_truncated_to_its_magic_says_so(tmp_path: Path) -> None:
    path = tmp_path / "short.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(InputError, match="footer"):
        open_source(path)


def test_jsonl_with_a_non_object_line_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n[1, 2]\n{"a": 3}\n', encoding="utf-8")
    text = _fails_cleanly(capsys, path)
    assert "line 3" in text and "not a JSON object" in text


def test_jsonl_with_a_line_nested_too_deeply_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2: not valid JSON"):
        profile_data(path)


def test_jsonl_with_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2: not valid JSON"):
        profile_data(path)


@pytest.fixture
def two_gb_line(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "one-line.jsonl"
    with path.open("wb") as fh:
        fh.write(b'{"text": "')
        fh.truncate(2 << 30)  # sparse: 2 GB of one line, no disk blocks
    yield path
    path.unlink()


def test_two_gigabyte_single_line_is_refused_in_bounded_memory(
    two_gb_line: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    text = _fails_cleanly(capsys, two_gb_line)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert "line 1 (from byte 0) is longer than 16 MiB" in text
    assert grown_mib < 4 * (MAX_LINE_BYTES >> 20) + 64


def test_same_file_as_csv_is_refused_too(two_gb_line: Path) -> None:
    with pytest.raises(InputError, match="line 1"):
        open_source(two_gb_line, fmt="csv")


def test_unknown_suffix_asks_for_a_format(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"x")
    with pytest.raises(InputError, match="--file-format"):
        open_source(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        open_source(tmp_path / "nope.csv")


@pytest.mark.parametrize("cut", [10, 100, 400])
def test_truncated_parquet_is_an_input_error(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "t.parquet"
    pl.DataFrame({"a": list(range(500)), "b": ["x"] * 500}).write_parquet(path)
    path.write_bytes(path.read_bytes()[:-cut])
    with pytest.raises(InputError, match=r"t\.parquet"):
        profile_data(path)


def test_long_line_after_a_good_header_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    with path.open("wb") as fh:
        fh.write(b"a,b\n1,2\n")
        fh.write(b"x" * (MAX_LINE_BYTES + 10))
        fh.write(b",3\n")
    with pytest.raises(InputError, match=r"line 3 \(from byte 8\)"):
        open_source(path)
