"""One monitor run: read new audit events, update the signals, store alerts and state.

Runs may overlap (``aisec up`` replicas each schedule one, an operator runs one by hand):
each reads the state and the position it starts from, works without holding a lock, and
commits its alerts and new state in one transaction only if the position is still the one
it started from; otherwise another run did the same work and this one's result is dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aisec.core.policy import MonitorPolicy
from aisec.core.store import Store
from aisec.monitor._alerts import Alert, AlertBook
from aisec.monitor._events import head_seq, read_events
from aisec.monitor._pipeline import pipeline_alarms
from aisec.monitor._signals import Alarm, SignalEngine

__all__ = ["MonitorRun", "run_monitor"]

STATE_NAME = "access"


@dataclass(frozen=True, slots=True)
class MonitorRun:
    events: int
    alarms: int
    last_seq: int
    opened: list[Alert] = field(default_factory=list)
    skipped: bool = False  # another run got there first
    pipeline: dict[str, str] = field(default_factory=dict)  # each pipeline check's outcome

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "alarms": self.alarms,
            "last_seq": self.last_seq,
            "opened": [a.to_dict() for a in self.opened],
            "skipped": self.skipped,
            "pipeline": self.pipeline,
        }


def _load(store: Store) -> tuple[int, dict[str, Any] | None]:
    with store.read() as conn:
        row = conn.execute(
            "SELECT seq, state FROM monitor_state WHERE name = ?", (STATE_NAME,)
        ).fetchone()
    if row is None:
        return 0, None
    try:
        state = json.loads(row[1])
    except ValueError:
        state = None
    return int(row[0]), state if isinstance(state, dict) else None


def run_monitor(
    store: Store,
    policy: MonitorPolicy,
    since: datetime | None = None,
    playbooks: dict[str, str] | None = None,
) -> MonitorRun:
    """Process the events after the last run (or, with ``since``, every event from that
    time with fresh detectors); returns what was done and the alerts it opened."""
    start_seq, state = _load(store)
    if since is not None:
        engine, after, since_text = (
            SignalEngine(policy),
            0,
            since.astimezone(UTC).isoformat(timespec="microseconds"),
        )
    else:
        engine, after, since_text = SignalEngine(policy, state), start_seq, None
    alarms: list[Alarm] = []
    # The log's head now: what lies up to it has been read once this run ends, watched or
    # not, so the next run starts after it (events the monitor does not read, such as a
    # pipeline's key uses, are not scanned again every run).
    head = head_seq(store)
    count, last = 0, after
    for ev in read_events(store, after, since_text):
        count += 1
        last = ev.seq
        alarms.extend(engine.feed(ev))
    last = max(last, head, start_seq) if since is None else max(last, head)
    stored = state.get("pipeline") if state else None
    pipe = pipeline_alarms(
        store,
        policy.pipeline,
        stored if isinstance(stored, dict) else None,
        last,
        datetime.now(UTC).timestamp(),
    )
    alarms.extend(pipe.alarms)
    book = AlertBook(store, policy.cooldown_s)
    with store.write() as conn:
        row = conn.execute("SELECT seq FROM monitor_state WHERE name = ?", (STATE_NAME,)).fetchone()
        if (0 if row is None else int(row[0])) != start_seq:
            return MonitorRun(
                count, len(alarms), int(row[0]) if row else 0, skipped=True, pipeline=pipe.checked
            )
        now = conn.time_param(datetime.now(UTC))
        text = json.dumps({**engine.state(), "pipeline": pipe.state}, separators=(",", ":"))
        if row is None:
            conn.execute(
                "INSERT INTO monitor_state (name, seq, state, updated) VALUES (?, ?, ?, ?)",
                (STATE_NAME, last, text, now),
            )
        else:
            conn.execute(
                "UPDATE monitor_state SET seq = ?, state = ?, updated = ? WHERE name = ?",
                (last, text, now, STATE_NAME),
            )
        opened_ids = book.raise_alarms_in(conn, alarms, playbooks)
    opened = [book.get(a) for a in opened_ids]
    return MonitorRun(count, len(alarms), last, opened, pipeline=pipe.checked)
