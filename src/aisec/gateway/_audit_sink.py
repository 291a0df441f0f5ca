"""Audit events of the request path, written by one background thread in batches.

Appending to the hash-chained log is a database transaction; doing it on the event loop
would put the store's latency on every request. Requests put events in a bounded buffer
and a writer thread appends them in batches. If the store fails, the writer keeps the
events, marks the sink unhealthy (the app then refuses requests with 503: fail closed) and
retries on its next round. On close the buffer is drained.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aisec.core.errors import AisecError, InputError

if TYPE_CHECKING:
    from aisec.core.audit import EventInput

__all__ = ["AuditSink", "AuditWriter"]

_BATCH = 500  # events per transaction


class AuditWriter(Protocol):
    def append_many(
        self,
        events: Sequence[EventInput],
        on_invalid: Callable[[int, InputError], None] | None = None,
    ) -> Sequence[object]: ...


@dataclass(frozen=True, slots=True)
class _Event:
    actor: str
    action: str
    target: str
    outcome: str
    details: dict[str, Any]


class AuditSink:
    """A bounded buffer in front of an audit log, drained in batches by one writer thread.

    ``emit`` only appends to a deque (no lock hand-off, no thread wake-up per request:
    waking the writer on every event made the event loop wait for the GIL); the writer
    wakes every ``interval`` seconds and appends what accumulated.
    """

    def __init__(self, log: AuditWriter, capacity: int = 10_000, interval: float = 0.05) -> None:
        self._log = log
        self._capacity = capacity
        self._interval = interval
        self._buffer: deque[_Event] = deque()
        self._error: str | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aisec-audit", daemon=True)
        self._thread.start()

    @property
    def error(self) -> str | None:
        """Why events cannot be written now (None when healthy)."""
        if self._error is None and len(self._buffer) >= self._capacity:
            return "audit backlog full"
        return self._error

    def emit(
        self,
        actor: str,
        action: str,
        target: str,
        outcome: str,
        details: dict[str, Any],
    ) -> bool:
        """Queue one event; False when the buffer is full. While the store is down events
        wait in the buffer and are written once it is back."""
        if len(self._buffer) >= self._capacity:
            return False
        self._buffer.append(_Event(actor, action, target, outcome, details))
        return True

    def _write(self, events: list[_Event]) -> bool:
        """Append ``events`` in one transaction; False when the store failed (they stay
        first in line). A malformed event is dropped with a message; the rest are written."""

        def dropped(_: int, exc: InputError) -> None:
            sys.stderr.write(f"aisec: gateway: audit event dropped: {exc.message}\n")

        rows = [(e.actor, e.action, e.target, e.outcome, e.details) for e in events]
        try:
            self._log.append_many(rows, on_invalid=dropped)
        except (AisecError, sqlite3.Error, OSError, RuntimeError, ValueError) as exc:
            # what the store can raise: keep the events, refuse requests until it is back
            if self._error is None:
                sys.stderr.write(f"aisec: gateway: audit write failed: {type(exc).__name__}\n")
            self._error = f"audit store: {type(exc).__name__}"
            return False
        self._error = None
        return True

    def _drain(self) -> bool:
        # Only this thread takes from the left; requests append on the right (each deque
        # operation is atomic). A batch that could not be written goes back in front.
        while self._buffer:
            batch = [self._buffer.popleft() for _ in range(min(_BATCH, len(self._buffer)))]
            if not self._write(batch):
                self._buffer.extendleft(reversed(batch))
                return False
        return True

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            self._drain()
        self._drain()

    def close(self, timeout: float = 5.0) -> None:
        """Write what is buffered (one last try) and stop the thread."""
        self._stopping.set()
        self._thread.join(timeout)
