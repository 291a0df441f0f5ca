"""Reading the gateway's request events (and registry pulls and data exports) from the
audit log, a page at a time."""

from __future__ import annotations

import json
from collections.abc import Container, Iterator, Sequence
from datetime import datetime
from typing import Any

from aisec.core.store import Store
from aisec.monitor._behaviour import BehaviourEvent
from aisec.monitor._signals import AccessEvent

__all__ = ["PAGE", "access_event", "event_rows", "head_seq", "read_events"]

PAGE = 5000
_ACTION = "gateway.request"
# Audit actions outside the gateway the access signals read -> the signal each feeds.
# ``keys.use`` counts only its decryptions (``aisec decrypt`` of a file).
_OTHER = {
    "registry.pull": "registry_pulls",
    "data.decrypt-fields": "data_exports",
    "keys.use": "data_exports",
}
_WATCHED = frozenset({_ACTION, *_OTHER})


def event_rows(
    store: Store,
    columns: str,
    after_seq: int,
    since: str | None = None,
    page: int = PAGE,
    actions: Container[str] = (_ACTION,),
) -> Iterator[Sequence[Any]]:
    """``columns`` (first one ``seq``) of every event of ``actions`` (default the
    ``gateway.request`` events) after ``after_seq`` (and at or after ``since``, an ISO
    time), in order, up to the head when called.

    Walks windows of ``page`` sequence numbers on the primary key, each its own short read
    (the gateway's writes go on), and keeps the request events itself. Asking the database
    for the action too let PostgreSQL combine the action index (every request event) with
    the key range on each window (a BitmapAnd on a table without statistics): quadratic in
    the log's size, as was ``ORDER BY seq LIMIT`` with the action filter before it.
    """
    with store.read() as conn:
        row = conn.execute("SELECT max(seq) FROM audit_events").fetchone()
        head = int(row[0]) if row and row[0] is not None else 0
        if since is not None:
            first = conn.execute(
                "SELECT min(seq) FROM audit_events WHERE time >= ?", (since,)
            ).fetchone()
            if first is None or first[0] is None:
                return
            after_seq = max(after_seq, int(first[0]) - 1)
    sql = (
        f"SELECT action, {columns} FROM audit_events"  # noqa: S608 - the caller's literal
        " WHERE seq > ? AND seq <= ? ORDER BY seq"
    )
    low = after_seq
    while low < head:
        high = min(low + page, head)
        with store.read() as conn:
            rows = conn.execute(sql, (low, high)).fetchall()
        for r in rows:
            if r[0] in actions:
                yield r[1:]
        low = high


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def access_event(
    seq: int, time: str, actor: str, details_json: str, action: str = _ACTION
) -> AccessEvent | None:
    """The monitor's view of one ``gateway.request`` event (or of a registry pull or data
    export, by ``action``); None if it is unreadable or not one the signals count."""
    try:
        details = json.loads(details_json)
        t = datetime.fromisoformat(time).timestamp()
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(details, dict):
        return None
    if action != _ACTION:
        kind = _OTHER.get(action)
        if kind is None or (action == "keys.use" and details.get("op") != "decrypt"):
            return None
        return AccessEvent(seq=int(seq), t=t, principal=actor, key=None, status=0, kind=kind)
    key = details.get("key_prefix")
    model = details.get("model")
    fp = details.get("prompt_fp")
    tokens = _int(details.get("usage.total")) or (
        _int(details.get("usage.prompt")) + _int(details.get("usage.completion"))
    )
    return AccessEvent(
        behaviour=_behaviour(int(seq), t, details),
        seq=int(seq),
        t=t,
        principal=actor,
        key=key if isinstance(key, str) and key else None,
        status=_int(details.get("status")),
        model=model if isinstance(model, str) else None,
        tokens=tokens,
        prompt_fp=fp if isinstance(fp, str) else None,
        blocked=details.get("decision") == "block",
    )


def _names(value: object) -> tuple[str, ...]:
    if not isinstance(value, str) or not value:
        return ()
    return tuple(dict.fromkeys(n for n in value.split(",")[:64] if n))


def _behaviour(seq: int, t: float, d: dict[str, Any]) -> BehaviourEvent | None:
    """The model-behaviour part of a request event (None: no route served it)."""
    route = d.get("route")
    if not isinstance(route, str) or not route or route == "-":
        return None
    answered = d.get("output_chars") is not None and d.get("status") == 200
    return BehaviourEvent(
        seq=seq,
        t=t,
        route=route,
        blocked_by=_names(d.get("blocked_by")),
        answered=answered,
        output_chars=_int(d.get("output_chars")),
        refusal=d.get("refusal") is True,
        tools=_names(d.get("tools_called")),
        canary_leak=d.get("canary_leak") is True,
    )


def read_events(store: Store, after_seq: int, since: str | None = None) -> Iterator[AccessEvent]:
    """Every gateway request, registry pull and data export event after ``after_seq``
    (and at or after ``since``), in order, as the monitor sees it (unreadable ones and
    key uses other than decryption are skipped)."""
    for seq, action, time, actor, details in event_rows(
        store, "seq, action, time, actor, details", after_seq, since, actions=_WATCHED
    ):
        ev = access_event(int(seq), str(time), str(actor), str(details), str(action))
        if ev is not None:
            yield ev


def head_seq(store: Store) -> int:
    with store.read() as conn:
        row = conn.execute("SELECT max(seq) FROM audit_events").fetchone()
    return int(row[0]) if row and row[0] is not None else 0
