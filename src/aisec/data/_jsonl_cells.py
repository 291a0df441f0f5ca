"""JSON Lines objects as raw spans of their top-level members.

Each line must be one JSON object. Only the values of chosen members are replaced; every
other byte of the line (spacing, number spelling, escapes, key order) is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aisec.core.errors import InputError

MAX_LINE = 16 << 20
_WS = " \t\r\n"
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class Member:
    key: str
    start: int  # index of the value's first character in the line
    end: int  # index just past the value


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def members(text: str, line: int) -> list[Member]:
    """Top-level members of the JSON object ``text``; InputError if it is not one."""
    where = f"JSONL line {line}"
    try:
        i = _skip(text, 0)
        if i >= len(text) or text[i] != "{":
            raise InputError(f"{where}: expected a JSON object")
        i = _skip(text, i + 1)
        out: list[Member] = []
        if i < len(text) and text[i] == "}":
            i += 1
        else:
            while True:
                if i >= len(text) or text[i] != '"':
                    raise InputError(f"{where}: expected a member name")
                key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
                i = _skip(text, i)
                if i >= len(text) or text[i] != ":":
                    raise InputError(f"{where}: expected ':' after {key!r}")
                i = _skip(text, i + 1)
                _, end = _DECODER.raw_decode(text, i)
                out.append(Member(key, i, end))
                i = _skip(text, end)
                if i < len(text) and text[i] == ",":
                    i = _skip(text, i + 1)
                    continue
                if i < len(text) and text[i] == "}":
                    i += 1
                    break
                raise InputError(f"{where}: expected ',' or '}}'")
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply") from None
    if _skip(text, i) != len(text):
        raise InputError(f"{where}: unexpected text after the object")
    return out
