"""Acceptance 1 (issue 18): a recorded synthetic 24 h trace of 50 keys, replayed through
``monitor run``. The clean trace raises no alert; one key enumerating prompts at 20x its
norm raises exactly one alert, within 60 s of trace time; a burst of failed
authentications raises one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from monitor_trace import T0, Request, failed_auth_burst, normal_trace, norms, record

from aisec.core.audit import default_log
from aisec.core.rules import lookup
from aisec.monitor import AlertBook, list_alerts, monitor_once

ATTACK_KEY = 7
ATTACK_AT = T0 + 15 * 3600 + 17.0  # mid-afternoon, not on a bucket boundary


def _seen(alert_time: str) -> float:
    return datetime.fromisoformat(alert_time).timestamp()


def test_clean_day_of_fifty_keys_raises_no_alert() -> None:
    n = record(default_log(), normal_trace())
    run = monitor_once()
    assert run.events == n > 100_000
    assert run.alarms == 0
    assert list_alerts() == []


def test_extraction_at_twenty_times_norm_raises_exactly_one_alert_within_a_minute() -> None:
    assert norms()[ATTACK_KEY] * 60 > 1.5  # a key of ordinary volume (see docs/monitor.md)
    record(default_log(), normal_trace(extraction=(ATTACK_KEY, ATTACK_AT)))
    run = monitor_once()
    alerts = list_alerts()
    assert len(alerts) == 1, [a.to_dict() for a in alerts]
    alert = alerts[0]
    assert alert.rule_id == "monitor-extraction-pattern"
    assert alert.subject == f"key:key{ATTACK_KEY:04d}"
    delay = _seen(alert.first_seen) - ATTACK_AT
    assert 0 <= delay <= 60, delay
    assert run.alarms >= alert.count > 1  # the attack went on: later alarms folded into it
    # evidence: who, which signals, how far above the norm; no prompt or digest
    ev = alert.evidence
    assert ev["principal"] == f"svc{ATTACK_KEY}"
    assert ev["key_prefix"] == f"key{ATTACK_KEY:04d}"
    assert {"requests", "distinct_prompts"} <= set(ev["signals"])
    assert ev["signals"]["requests"]["peak_ratio"] >= 5
    assert "prompt" not in str(ev).replace("distinct_prompts", "")
    assert alert.frameworks == [str(r) for r in lookup(alert.rule_id).frameworks]
    assert "ATLAS:AML.T0024.002" in alert.frameworks
    assert alert.playbook == "revoke-principal"


def test_failed_auth_burst_raises_one_alert() -> None:
    burst_at = T0 + 9 * 3600 + 5.0
    trace = sorted(normal_trace() + failed_auth_burst(burst_at), key=lambda r: r.t)
    record(default_log(), trace)
    monitor_once()
    alerts = list_alerts()
    assert [a.rule_id for a in alerts] == ["monitor-failed-auth-burst"]
    assert alerts[0].subject == "gateway"
    assert 0 <= _seen(alerts[0].first_seen) - burst_at <= 60


def test_runs_pick_up_where_the_last_stopped_and_do_not_repeat_alerts() -> None:
    """Two runs over halves of the trace find the same single alert as one run would, and a
    third run with nothing new changes nothing (the detector state is in the store)."""
    trace = normal_trace(extraction=(ATTACK_KEY, ATTACK_AT))
    half = [r for r in trace if r.t < ATTACK_AT + 30]
    record(default_log(), half)
    first = monitor_once()
    record(default_log(), trace[len(half) :])
    second = monitor_once()
    third = monitor_once()
    assert first.events + second.events == len(trace)
    assert third.events == 0 and third.alarms == 0
    alerts = list_alerts()
    assert len(alerts) == 1 and alerts[0].subject == f"key:key{ATTACK_KEY:04d}"


def test_since_replays_with_fresh_detectors_and_folds_into_the_open_alert() -> None:
    record(default_log(), normal_trace(extraction=(ATTACK_KEY, ATTACK_AT)))
    monitor_once()
    again = monitor_once(since=datetime.fromtimestamp(T0, UTC))
    assert again.events > 100_000 and again.opened == []
    assert len(list_alerts()) == 1


def test_acked_alert_is_not_reopened_within_the_cooldown(aisec_home: object) -> None:
    from aisec.monitor import ack_alert

    record(default_log(), normal_trace(extraction=(ATTACK_KEY, ATTACK_AT)))
    monitor_once()
    (alert,) = list_alerts()
    acked, changed = ack_alert(alert.id, "investigating")
    assert changed and acked.status == "acked" and acked.note == "investigating"
    assert ack_alert(alert.id)[1] is False
    monitor_once(since=datetime.fromtimestamp(T0, UTC))
    assert [a.id for a in list_alerts()] == [alert.id]


def test_unknown_alert_is_a_clear_error() -> None:
    from aisec.core.errors import InputError
    from aisec.core.store import open_store

    with pytest.raises(InputError, match="no alert"):
        AlertBook(open_store()).get("nope")


def test_monitor_on_sqlite_and_postgresql(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from aisec.core.audit import reset_default

    monkeypatch.setenv("AISEC_DATABASE_URL", db_url)
    reset_default()
    at = T0 + 3 * 3600 + 17.0
    n = record(default_log(), normal_trace(keys=10, hours=4, extraction=(3, at)))
    run = monitor_once()
    assert run.events == n
    (alert,) = list_alerts()
    assert alert.subject == "key:key0003" and 0 <= _seen(alert.first_seen) - at <= 60
    assert monitor_once().events == 0


def test_model_enumeration_raises_new_models_touched() -> None:
    """A key that has used two models for hours tries twenty others, one a minute (its
    request rate stays near its norm: only the new-models signal can see it)."""
    from monitor_trace import Request

    at = T0 + 6 * 3600 + 5.0
    probes = [
        Request(at + 60 * i, "svc3", "key0003", 403, f"model-{i}", 0, None) for i in range(20)
    ]
    trace = sorted(normal_trace(keys=5, hours=8) + probes, key=lambda r: r.t)
    record(default_log(), trace)
    monitor_once()
    (alert,) = list_alerts()
    assert alert.rule_id == "monitor-new-models-touched"
    assert alert.subject == "key:key0003"
    assert 0 <= _seen(alert.first_seen) - at <= 15 * 60
    assert alert.evidence["signals"]["new_models"]["baseline_per_min"] == 0.05


def test_guard_probing_raises_one_alert() -> None:
    """A key sends jailbreak attempts the guard blocks, one every 15 s, barely above its
    usual request rate: the block series sees what the request series cannot."""
    from monitor_trace import Request

    at = T0 + 6 * 3600 + 5.0
    probes = [
        Request(at + 15 * i, "svc2", "key0002", 400, "gpt-a", 0, f"{i:016x}", "block")
        for i in range(40)
    ]
    trace = sorted(normal_trace(keys=5, hours=8) + probes, key=lambda r: r.t)
    record(default_log(), trace)
    monitor_once()
    alerts = {a.rule_id: a for a in list_alerts()}
    # forty new prompts in ten minutes also look like scraping to the prompt signal
    assert set(alerts) <= {"monitor-guard-probing", "monitor-extraction-pattern"}
    assert {a.subject for a in alerts.values()} == {"key:key0002"}
    alert = alerts["monitor-guard-probing"]
    assert set(alert.evidence["signals"]) == {"guard_blocks"}
    assert 0 <= _seen(alert.first_seen) - at <= 5 * 60
    assert alert.playbook == "revoke-principal"


def _pulls(at: float, n: int, every_s: float, who: str = "ci-deployer") -> list[Request]:
    return [
        Request(at + i * every_s, who, None, 200, f"model-{i % 7}", action="registry.pull")
        for i in range(n)
    ]


def test_registry_pull_burst_raises_one_alert_for_the_principal() -> None:
    """A deployer pulls a model about once an hour for eight hours, then pulls every
    model there is, one every ten seconds (model theft with a stolen deploy credential)."""
    at = T0 + 8 * 3600 + 5.0
    trace = normal_trace(keys=5, hours=9) + _pulls(T0 + 1800, 8, 3600) + _pulls(at, 60, 10)
    record(default_log(), sorted(trace, key=lambda r: r.t))
    monitor_once()
    (alert,) = list_alerts()
    assert alert.rule_id == "monitor-registry-pull-burst"
    assert alert.subject == "principal:ci-deployer"
    assert alert.evidence["principal"] == "ci-deployer"
    assert set(alert.evidence["signals"]) == {"registry_pulls"}
    assert 0 <= _seen(alert.first_seen) - at <= 5 * 60
    assert alert.playbook == "revoke-principal"
    assert "ATLAS:AML.T0025" in alert.frameworks


def test_data_export_burst_counts_field_and_file_decryptions_not_other_key_uses() -> None:
    """Forty decryptions in ten minutes by one analyst alarm; a thousand key uses that
    are not decryptions (encryptions by a pipeline) do not."""
    from monitor_trace import Request

    at = T0 + 6 * 3600 + 5.0
    exports = [
        Request(at + 15 * i, "analyst", None, 200, action=action, extra=extra)
        for i in range(40)
        for action, extra in [
            ("data.decrypt-fields", (("rows", 1000),))
            if i % 2
            else ("keys.use", (("op", "decrypt"),))
        ]
    ]
    encryptions = [
        Request(T0 + 20 * i, "pipeline", None, 200, action="keys.use", extra=(("op", "encrypt"),))
        for i in range(1000)
    ]
    trace = normal_trace(keys=5, hours=8) + exports + encryptions
    record(default_log(), sorted(trace, key=lambda r: r.t))
    monitor_once()
    (alert,) = list_alerts()
    assert alert.rule_id == "monitor-data-export-burst"
    assert alert.subject == "principal:analyst"
    assert 0 <= _seen(alert.first_seen) - at <= 5 * 60


def test_the_position_moves_past_events_the_monitor_does_not_read() -> None:
    """Key uses that are not decryptions (a pipeline encrypting) are read once: the next
    run starts after them instead of scanning them again."""
    from aisec.core.store import open_store
    from aisec.monitor._events import head_seq

    encryptions = [
        Request(T0 + i, "pipeline", None, 200, action="keys.use", extra=(("op", "encrypt"),))
        for i in range(50)
    ]
    record(default_log(), encryptions)
    run = monitor_once()
    assert run.events == 0 and run.last_seq >= 50  # before: 0, so every run read them again
    again = monitor_once()  # the first run's own audit events lie past its position
    store = open_store()
    try:
        head = head_seq(store)
    finally:
        store.close()
    assert again.events == 0 and run.last_seq < again.last_seq <= head
