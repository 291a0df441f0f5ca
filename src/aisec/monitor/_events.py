"""Reading the gateway's request events from the audit log, a page at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from aisec.core.store import Store
from aisec.monitor._signals import AccessEvent

__all__ = ["PAGE", "access_event", "head_seq", "read_events"]

PAGE = 5000
_ACTION = "gateway.request"
_SQL = (
    "SELECT seq, time, actor, details FROM audit_events"
    " WHERE action = ? AND seq > ? {since} ORDER BY seq LIMIT ?"
)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def access_event(seq: int, time: str, actor: str, details_json: str) -> AccessEvent | None:
    """The monitor's view of one ``gateway.request`` event; None if it is unreadable."""
    try:
        details = json.loads(details_json)
        t = datetime.fromisoformat(time).timestamp()
    except (ValueError, TypeError):
        return None
    if not isinstance(details, dict):
        return None
    key = details.get("key_prefix")
    model = details.get("model")
    fp = details.get("prompt_fp")
    tokens = _int(details.get("usage.total")) or (
        _int(details.get("usage.prompt")) + _int(details.get("usage.completion"))
    )
    return AccessEvent(
        seq=int(seq),
        t=t,
        principal=actor,
        key=key if isinstance(key, str) and key else None,
        status=_int(details.get("status")),
        model=model if isinstance(model, str) else None,
        tokens=tokens,
        prompt_fp=fp if isinstance(fp, str) else None,
    )


def read_events(store: Store, after_seq: int, since: str | None = None) -> Iterator[AccessEvent]:
    """Every gateway request event after ``after_seq`` (and at or after ``since``, an ISO
    time), in order. Each page is its own short read, so the gateway's writes go on."""
    where = "AND time >= ?" if since else ""
    sql = _SQL.format(since=where)
    last = after_seq
    while True:
        params: tuple[object, ...] = (
            (_ACTION, last, since, PAGE) if since else (_ACTION, last, PAGE)
        )
        with store.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        for seq, time, actor, details in rows:
            last = int(seq)
            ev = access_event(last, str(time), str(actor), str(details))
            if ev is not None:
                yield ev
        if len(rows) < PAGE:
            return


def head_seq(store: Store) -> int:
    with store.read() as conn:
        row = conn.execute("SELECT max(seq) FROM audit_events").fetchone()
    return int(row[0]) if row and row[0] is not None else 0
