"""The monitor on a schedule inside ``aisec up``: a daemon thread that runs it every
``monitor.interval_s`` seconds. Each replica runs one; overlapping runs are safe (see
``_run``: the one that commits first wins, the other's result is dropped)."""

from __future__ import annotations

import sqlite3
import sys
import threading

from aisec.core.errors import AisecError
from aisec.core.policy import Policy

__all__ = ["MonitorSchedule", "start_schedule"]


class MonitorSchedule:
    def __init__(self, policy: Policy, actor: str) -> None:
        self.policy = policy
        self.actor = actor
        self.interval = float(policy.monitor.interval_s)
        self.runs = 0
        self._stop = threading.Event()
        self._last_error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="aisec monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        from aisec.monitor._api import monitor_once

        while not self._stop.wait(self.interval):
            try:
                monitor_once(policy=self.policy, actor=self.actor)
            except (AisecError, sqlite3.Error, OSError, ValueError) as exc:
                message = exc.message if isinstance(exc, AisecError) else type(exc).__name__
                if message != self._last_error:  # one line per new problem, not per round
                    sys.stderr.write(f"aisec: monitor: run failed: {message}\n")
                self._last_error = message
                continue
            self._last_error = None
            self.runs += 1

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


def start_schedule(policy: Policy) -> MonitorSchedule | None:
    """Start the schedule when the policy asks for one and the principal running ``aisec
    up`` may run the monitor; otherwise say why on stderr and return None."""
    from aisec.core.authz import authorize

    if policy.monitor.interval_s <= 0:
        return None
    try:
        who = authorize("monitor.run").name
    except AisecError as exc:
        sys.stderr.write(f"aisec: monitor not scheduled: {exc.message}\n")
        return None
    schedule = MonitorSchedule(policy, who)
    schedule.start()
    return schedule
