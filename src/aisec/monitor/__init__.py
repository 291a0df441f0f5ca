"""Monitoring, alerts and incident playbooks: watch the gateway, registry, data and keys.

    from aisec.monitor import monitor_once, list_alerts
    run = monitor_once()               # new audit events -> signals -> alerts -> sinks
    [a.to_dict() for a in list_alerts("open")]

Signals are computed from the gateway's ``gateway.request`` audit events: per key,
request and token volume, prompts not seen from it in the hour before, models it never
used; for the gateway, failed authentications. Each is judged by a Poisson CUSUM against
its own rolling baseline with a stated false-alarm budget (``_cusum``). Alerts are grouped
by rule and subject, carry the rule's framework references and the playbook that answers
them, and go to the policy's sinks (log, signed webhook, e-mail, Prometheus).
"""

from __future__ import annotations

from aisec.monitor._alerts import Alert, AlertBook, AlertNotFoundError
from aisec.monitor._api import (
    ack_alert,
    approve_playbook,
    list_alerts,
    monitor_once,
    playbook_runs,
    playbooks,
    respond_map,
    run_playbook,
    show_alert,
)
from aisec.monitor._cusum import CusumParams, Series
from aisec.monitor._events import access_event, read_events
from aisec.monitor._metrics import exposition
from aisec.monitor._playbooks import ACTIONS, Action, PlaybookResult, PlaybookRunner, RunContext
from aisec.monitor._run import MonitorRun, run_monitor
from aisec.monitor._schedule import MonitorSchedule, start_schedule
from aisec.monitor._signals import SIGNALS, AccessEvent, Alarm, SignalEngine
from aisec.monitor._sinks import SIGNATURE_HEADER, TIMESTAMP_HEADER, deliver, sign

__all__ = [
    "ACTIONS",
    "SIGNALS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AccessEvent",
    "Action",
    "Alarm",
    "Alert",
    "AlertBook",
    "AlertNotFoundError",
    "CusumParams",
    "MonitorRun",
    "MonitorSchedule",
    "PlaybookResult",
    "PlaybookRunner",
    "RunContext",
    "Series",
    "SignalEngine",
    "access_event",
    "ack_alert",
    "approve_playbook",
    "deliver",
    "exposition",
    "list_alerts",
    "monitor_once",
    "playbook_runs",
    "playbooks",
    "read_events",
    "respond_map",
    "run_monitor",
    "run_playbook",
    "show_alert",
    "sign",
    "start_schedule",
]
