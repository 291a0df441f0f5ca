"""Report bytes read from a stream, for progress bars on long encryptions."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, cast


class _Counting:
    def __init__(self, inner: BinaryIO, callback: Callable[[int], None]) -> None:
        self._inner = inner
        self._callback = callback

    def read(self, n: int = -1) -> bytes:
        data = self._inner.read(n)
        if data:
            self._callback(len(data))
        return data

    def tell(self) -> int:
        return self._inner.tell()


def counting(inner: BinaryIO, callback: Callable[[int], None] | None) -> BinaryIO:
    """``inner``, or a view of it that calls ``callback(n)`` after each read of n bytes."""
    if callback is None:
        return inner
    return cast(BinaryIO, _Counting(inner, callback))
