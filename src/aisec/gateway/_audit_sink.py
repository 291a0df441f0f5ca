"""Audit events of the request path, written by one background thread in batches.

Appending to the hash-chained log is a database transaction; doing it on the event loop
would put the store's latency on every request. Requests put events on a bounded queue
and a writer thread appends them. If the store fails, the writer keeps the events, marks
the sink unhealthy (the app then refuses requests with 503: fail closed) and retries; a
full queue is also refused. On close the queue is drained.
"""

from __future__ import annotations

import queue
import sqlite3
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aisec.core.errors import AisecError, InputError

__all__ = ["AuditSink", "AuditWriter"]

_RETRY_S = 0.2


class AuditWriter(Protocol):
    def append(
        self,
        actor: str,
        action: str,
        target: str,
        outcome: str = "ok",
        details: Mapping[str, Any] | None = None,
    ) -> object: ...


@dataclass(frozen=True, slots=True)
class _Event:
    actor: str
    action: str
    target: str
    outcome: str
    details: dict[str, Any]


_STOP = object()


class AuditSink:
    """A bounded queue in front of an audit log, drained by one writer thread."""

    def __init__(self, log: AuditWriter, capacity: int = 10_000) -> None:
        self._log = log
        self._queue: queue.Queue[object] = queue.Queue(maxsize=capacity)
        self._error: str | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aisec-audit", daemon=True)
        self._thread.start()

    @property
    def error(self) -> str | None:
        """Why events cannot be written now (None when healthy)."""
        return self._error

    def emit(
        self,
        actor: str,
        action: str,
        target: str,
        outcome: str,
        details: dict[str, Any],
    ) -> bool:
        """Queue one event; False when the queue is full. While the store is down events
        wait in the queue and are written once it is back."""
        try:
            self._queue.put_nowait(_Event(actor, action, target, outcome, details))
        except queue.Full:
            return False
        return True

    def _write(self, event: _Event) -> None:
        while True:
            try:
                self._log.append(
                    event.actor, event.action, event.target, event.outcome, event.details
                )
            except InputError as exc:  # this event is malformed; the store is fine
                sys.stderr.write(f"aisec: gateway: audit event dropped: {exc.message}\n")
                return
            except (AisecError, sqlite3.Error, OSError, RuntimeError, ValueError) as exc:
                # anything the store can raise (psycopg's errors are OSError/RuntimeError
                # subclasses or AisecError once wrapped): keep the event, refuse requests
                self._error = f"audit store: {type(exc).__name__}"
                sys.stderr.write(f"aisec: gateway: audit write failed: {type(exc).__name__}\n")
                if self._stopping.wait(_RETRY_S):
                    return  # shutting down with the store broken: the error was reported
                continue
            self._error = None
            return

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, _Event)  # noqa: S101 - the queue holds only events and _STOP
            self._write(item)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (up to ``timeout`` seconds) and stop the thread."""
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            self._stopping.set()
        self._thread.join(timeout)
        self._stopping.set()
        self._thread.join(1.0)
