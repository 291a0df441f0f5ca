"""The authorized, audited entry points the CLI and ``aisec up`` call."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aisec.core.policy import PlaybookPolicy, Policy
from aisec.core.store import Store
from aisec.monitor._alerts import Alert, AlertBook
from aisec.monitor._playbooks import PlaybookResult, PlaybookRunner
from aisec.monitor._run import MonitorRun, run_monitor
from aisec.monitor._sinks import deliver

__all__ = [
    "ack_alert",
    "approve_playbook",
    "list_alerts",
    "monitor_once",
    "playbook_runs",
    "playbooks",
    "respond_map",
    "run_playbook",
    "show_alert",
]


def _policy() -> Policy:
    from aisec.core.policy import active_policy

    return active_policy() or Policy()


def _store() -> Store:
    from aisec.core.store import open_store

    return open_store()


def respond_map(policy: Policy) -> dict[str, str]:
    """Which playbook answers each rule: the policy's ``monitor.respond``, else built-ins."""
    from aisec.monitor._playbook_catalog import default_respond

    rules = policy.monitor.respond
    if rules is None:
        return {r.rule: r.playbook for r in default_respond()}
    return {r.rule: r.playbook for r in rules}


def monitor_once(
    since: datetime | None = None,
    *,
    policy: Policy | None = None,
    store: Store | None = None,
    actor: str | None = None,
) -> MonitorRun:
    """Run the monitor once as the current principal (``monitor.run``; audited) and send
    each alert it opened to the policy's sinks."""
    from aisec.core.audit import record
    from aisec.core.authz import authorize

    who = actor if actor is not None else authorize("monitor.run").name
    pol = policy or _policy()
    own = store is None
    st = store or _store()
    try:
        result = run_monitor(st, pol.monitor, since, respond_map(pol))
    finally:
        if own:
            st.close()
    record(
        "monitor.run",
        "audit_events",
        details={
            "events": result.events,
            "alarms": result.alarms,
            "opened": len(result.opened),
            "last_seq": result.last_seq,
            "skipped": result.skipped,
            "since": since.isoformat(timespec="seconds") if since else None,
        },
        actor=who,
    )
    for alert in result.opened:
        record(
            "monitor.alert",
            alert.id,
            details={
                "rule": alert.rule_id,
                "subject": alert.subject,
                "severity": alert.severity.value,
            },
            actor=who,
        )
    for failure in deliver(pol.monitor, result.opened):
        record(
            "monitor.sink",
            failure.alert_id,
            "error",
            details={"sink": failure.sink, "reason": failure.reason[:300]},
            actor=who,
        )
    _respond(pol, result.opened, who)
    return result


def _respond(policy: Policy, alerts: list[Alert], who: str) -> None:
    """Start the playbook of each new alert whose rule says ``auto``. An alert opens at
    most once per group and cool-down, so this is the cool-down too; a playbook with
    ``approval: true`` waits for a second principal as when run by hand."""
    from aisec.core.audit import record
    from aisec.monitor._playbook_catalog import default_respond

    rules = policy.monitor.respond if policy.monitor.respond is not None else default_respond()
    auto = {r.rule: r.playbook for r in rules if r.auto}
    if not auto or not alerts:
        return
    st = _store()
    try:
        runner = _runner(who, st, policy)
        for alert in alerts:
            name = auto.get(alert.rule_id)
            if name is None:
                continue
            book = runner.book(name)
            params = {p: str(alert.evidence[p]) for p in book.params if p in alert.evidence}
            missing = [p for p, s in book.params.items() if s.required and p not in params]
            if missing:
                record(
                    "monitor.respond",
                    alert.id,
                    "error",
                    details={"playbook": name, "missing": ",".join(missing)},
                    actor=who,
                )
                continue
            res = runner.run(name, params)
            record(
                "monitor.respond",
                alert.id,
                "ok" if res.status != "failed" else "error",
                details={"playbook": name, "run": res.run_id, "status": res.status},
                actor=who,
            )
    finally:
        st.close()


def list_alerts(status: str | None = None, limit: int = 100) -> list[Alert]:
    from aisec.core.authz import authorize

    authorize("alerts.read")
    st = _store()
    try:
        return AlertBook(st).list(status, limit)
    finally:
        st.close()


def show_alert(alert_id: str) -> Alert:
    from aisec.core.authz import authorize

    authorize("alerts.read")
    st = _store()
    try:
        return AlertBook(st).get(alert_id)
    finally:
        st.close()


def ack_alert(alert_id: str, note: str | None = None) -> tuple[Alert, bool]:
    from aisec.core.audit import record
    from aisec.core.authz import authorize

    who = authorize("alerts.ack").name
    st = _store()
    try:
        alert, changed = AlertBook(st).ack(alert_id, who, note)
    finally:
        st.close()
    record("monitor.alert.ack", alert.id, details={"changed": changed}, actor=who)
    return alert, changed


def _runner(actor: str, store: Store, policy: Policy) -> PlaybookRunner:
    from aisec.core.audit import record
    from aisec.monitor._actions import load_actions
    from aisec.monitor._playbook_catalog import all_playbooks

    load_actions()

    def audit(action: str, target: str, outcome: str, details: dict[str, Any]) -> None:
        record(action, target, outcome, details, actor=actor)

    return PlaybookRunner(store, all_playbooks(policy), actor, audit)


def playbooks() -> dict[str, PlaybookPolicy]:
    """Every playbook the active policy offers (built-ins included)."""
    from aisec.core.authz import authorize
    from aisec.monitor._playbook_catalog import all_playbooks

    authorize("policy.read")
    return all_playbooks(_policy())


def run_playbook(name: str, params: Mapping[str, str], *, dry_run: bool = False) -> PlaybookResult:
    """Run, resume or (``dry_run``) plan a playbook as the current principal
    (``playbook.run``; each step also needs what its action needs)."""
    from aisec.core.authz import authorize

    who = authorize("playbook.run").name
    st = _store()
    try:
        runner = _runner(who, st, _policy())
        return runner.dry_run(name, params) if dry_run else runner.run(name, params)
    finally:
        st.close()


def approve_playbook(run_id: str) -> PlaybookResult:
    """Approve a run waiting for approval, then resume it as the approver."""
    from aisec.core.authz import authorize

    who = authorize("playbook.approve").name
    authorize("playbook.run")
    st = _store()
    try:
        runner = _runner(who, st, _policy())
        name, params = runner.approve(run_id)
        return runner.run(name, json.loads(params))
    finally:
        st.close()


def playbook_runs(limit: int = 50) -> list[dict[str, Any]]:
    from aisec.core.authz import authorize

    authorize("audit.read")
    st = _store()
    try:
        return _runner("-", st, _policy()).runs(limit)
    finally:
        st.close()
