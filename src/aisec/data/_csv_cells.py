"""CSV records as raw byte spans, so cells we do not touch are written back byte for byte.

Python's csv module re-quotes what it writes; field encryption promises untouched cells
stay byte-identical, so this reader keeps each cell's exact bytes (quotes included) and
each record's own line ending. RFC 4180 quoting: a record continues across line breaks
while its count of quote characters is odd.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from aisec.core.errors import InputError

QUOTE = ord('"')
MAX_RECORD = 16 << 20  # an unterminated quote must not swallow the whole file into memory


@dataclass(frozen=True, slots=True)
class Record:
    cells: list[bytes]  # raw bytes of each cell, quotes included
    newline: bytes  # b"\r\n", b"\n" or b"" (last record without a line break)
    line: int  # 1-based line number where the record starts


def read_records(src: BinaryIO, delimiter: bytes = b",") -> Iterator[Record]:
    """Yield the records of ``src``; raises InputError on an unterminated quote."""
    if len(delimiter) != 1 or delimiter[0] == QUOTE or delimiter in b"\r\n":
        raise InputError(f"CSV delimiter {delimiter!r}: expected one character, not a quote")
    pending = bytearray()
    quotes = 0
    line_no = 0
    start_line = 1
    for line in src:
        line_no += 1
        if not pending:
            start_line = line_no
        pending += line
        quotes += line.count(b'"')
        if len(pending) > MAX_RECORD:
            raise InputError(f"CSV line {start_line}: record over {MAX_RECORD} bytes")
        if quotes % 2:
            continue  # inside a quoted cell that spans lines
        yield _split(bytes(pending), delimiter[0], start_line)
        pending.clear()
        quotes = 0
    if pending:
        raise InputError(f"CSV line {start_line}: quoted cell is never closed")


def _split(record: bytes, delim: int, line: int) -> Record:
    if record.endswith(b"\r\n"):
        body, newline = record[:-2], b"\r\n"
    elif record.endswith(b"\n"):
        body, newline = record[:-1], b"\n"
    else:
        body, newline = record, b""
    cells: list[bytes] = []
    i, n = 0, len(body)
    while True:
        start = i
        if i < n and body[i] == QUOTE:
            i += 1
            while True:
                j = body.find(b'"', i)
                if j < 0:
                    raise InputError(f"CSV line {line}: quoted cell is never closed")
                if j + 1 < n and body[j + 1] == QUOTE:
                    i = j + 2
                    continue
                i = j + 1
                break
        j = body.find(bytes((delim,)), i)
        if j < 0:
            cells.append(body[start:])
            break
        cells.append(body[start:j])
        i = j + 1
    return Record(cells, newline, line)


def cell_value(raw: bytes) -> bytes:
    """The value of a raw cell: quotes removed and doubled quotes undone."""
    if len(raw) >= 2 and raw[0] == QUOTE and raw[-1] == QUOTE:
        return raw[1:-1].replace(b'""', b'"')
    return raw


def write_record(dst: BinaryIO, cells: list[bytes], newline: bytes, delimiter: bytes) -> None:
    dst.write(delimiter.join(cells) + newline)
