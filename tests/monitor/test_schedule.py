"""The monitor inside ``aisec up`` (a real process): with ``monitor.interval_s`` set, a
burst of failed authentications against the running gateway becomes an alert without
anyone running ``aisec monitor run``. And an alert whose rule says ``auto`` starts its
playbook."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import httpx
from monitor_trace import T0, normal_trace, record

from aisec.core.audit import default_log
from aisec.core.policy import parse_policy
from aisec.gateway import create_key, list_keys
from aisec.monitor import list_alerts, monitor_once

_spec = importlib.util.spec_from_file_location(
    "gateway_fixtures", Path(__file__).resolve().parents[1] / "gateway" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
gw = sys.modules.get("gateway_fixtures") or importlib.util.module_from_spec(_spec)
if "gateway_fixtures" not in sys.modules:
    sys.modules["gateway_fixtures"] = gw
    _spec.loader.exec_module(gw)
upstream = gw.upstream


def test_aisec_up_runs_the_monitor_on_its_schedule(tmp_path: Path, upstream: object) -> None:
    env = gw.cli_env(tmp_path)
    policy = gw.policy_file(tmp_path, {"monitor": {"interval_s": 1}})
    with gw.aisec_up(env, 1, upstream.url, "--policy", policy) as replicas:  # type: ignore[attr-defined]
        url = replicas.urls[0] + "/v1/chat/completions"
        bad = {"Authorization": "Bearer aisec_000000000000_guessguessguessguessguessguessguess"}
        body = {"model": "echo", "messages": [{"role": "user", "content": "Hello"}]}
        for _ in range(60):
            assert httpx.post(url, json=body, headers=bad).status_code == 401
        deadline = time.monotonic() + 30
        alerts: list[dict[str, object]] = []
        while not alerts:
            assert time.monotonic() < deadline, "no alert from the scheduled monitor"
            out = gw.aisec_cli(env, "--policy", policy, "alerts", "list", "-f", "json")
            alerts = json.loads(out)
            time.sleep(0.2)
    assert [a["rule_id"] for a in alerts] == ["monitor-failed-auth-burst"]


def test_an_auto_rule_starts_its_playbook_for_a_new_alert() -> None:
    keys = [create_key("svc7")[1].prefix for _ in range(2)]
    record(default_log(), normal_trace(extraction=(7, T0 + 15 * 3600 + 17.0)))
    policy = parse_policy(
        {
            "monitor": {
                "respond": [
                    {
                        "rule": "monitor-extraction-pattern",
                        "playbook": "revoke-principal",
                        "auto": True,
                    }
                ]
            }
        }
    )
    run = monitor_once(policy=policy)
    (alert,) = run.opened
    assert all(k.revoked is not None for k in list_keys("svc7"))
    assert sorted(k.prefix for k in list_keys("svc7")) == sorted(keys)
    (after,) = list_alerts()
    assert after.id == alert.id and after.status == "acked"  # the playbook's last step
    events = [e for e in default_log().tail(100) if e.action == "monitor.respond"]
    assert [e.details["status"] for e in events] == ["done"]
