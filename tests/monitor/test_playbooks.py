"""Acceptance 2 (issue 18): each playbook's dry run lists its steps and changes nothing; a
real run changes state and is audited; a run killed with SIGKILL mid-run (a real child
process) and run again completes without repeating a step that was done."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import aisec
from aisec.core.audit import default_log
from aisec.core.errors import AuthorizationError, InputError
from aisec.core.store import open_store
from aisec.monitor import playbooks, run_playbook

_CHILD = """
import os, signal, sys
from aisec.monitor import _playbooks

point, index, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def crash(run_id, idx, where):
    if where == point and idx == index:
        os.kill(os.getpid(), signal.SIGKILL)


_playbooks._step = crash
from aisec.monitor import run_playbook

run_playbook(name, dict(a.split("=", 1) for a in sys.argv[4:]))
os._exit(0)
"""


@pytest.fixture(autouse=True)
def master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.delenv("AISEC_MASTER_PASSPHRASE", raising=False)


def _killed_at(point: str, step: int, name: str, **params: str) -> None:
    """Run the playbook in a child process that SIGKILLs itself at ``point`` of ``step``."""
    env = dict(os.environ, PYTHONPATH=str(Path(aisec.__file__).resolve().parents[1]))
    args = [f"{k}={v}" for k, v in params.items()]
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, point, str(step), name, *args],
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]


def _steps(run_id: str) -> list[tuple[int, str, int]]:
    with open_store().read() as conn:
        rows = conn.execute(
            "SELECT idx, status, attempts FROM playbook_steps WHERE run_id = ? ORDER BY idx",
            (run_id,),
        ).fetchall()
    return [(int(i), str(s), int(a)) for i, s, a in rows]


def _events(action: str) -> list[dict[str, object]]:
    return [e.to_dict() for e in default_log().tail(10_000) if e.action == action]


def _api_keys(principal: str, n: int = 2) -> list[str]:
    from aisec.gateway import create_key

    return [create_key(principal)[1].prefix for _ in range(n)]


REQUIRED = {
    "revoke-principal": {"principal": "app1"},
    "rotate-keys": {"keys": "k1"},
    "quarantine-dataset": {"dataset": "ds-0000"},
    "rollback-model": {"model": "m"},
    "guard-to-block": {"scanners": "prompt_injection"},
}


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_dry_run_lists_the_steps_and_changes_nothing(name: str) -> None:
    result = run_playbook(name, REQUIRED[name], dry_run=True)
    book = playbooks()[name]
    assert result.status == "dry_run" and result.run_id is None
    assert [s.name for s in result.steps] == [s.name for s in book.steps]
    assert all(s.status == "planned" for s in result.steps)
    for value in REQUIRED[name].values():
        assert any(value in s.description for s in result.steps)
    with open_store().read() as conn:
        assert conn.execute("SELECT count(*) FROM playbook_runs").fetchone()[0] == 0


def test_missing_and_unknown_parameters_are_clear_errors() -> None:
    with pytest.raises(InputError, match="'principal' is required"):
        run_playbook("revoke-principal", {})
    with pytest.raises(InputError, match="unknown parameter 'who'"):
        run_playbook("revoke-principal", {"principal": "a", "who": "b"})
    with pytest.raises(InputError, match="no playbook"):
        run_playbook("nope", {})


def test_revoke_principal_revokes_every_key_and_is_audited() -> None:
    from aisec.gateway import list_keys

    mine, other = _api_keys("app1"), _api_keys("app2", 1)
    result = run_playbook("revoke-principal", {"principal": "app1"})
    assert result.status == "done"
    assert sorted(result.steps[0].result["revoked"]) == sorted(mine)
    states = {k.prefix: k.revoked is not None for k in list_keys()}
    assert all(states[p] for p in mine) and not states[other[0]]
    assert {e["target"] for e in _events("apikey.revoke")} == set(mine)
    assert result.steps[0].result["tokens"]["already"] is False  # its JWTs are denied too
    assert [e["target"] for e in _events("token.deny")] == ["subject:app1"]
    steps = _events("playbook.step")
    assert [e["details"]["step"] for e in steps] == [1, 2]  # type: ignore[index]
    assert [e["details"]["phase"] for e in _events("playbook.run")] == ["start", "done"]  # type: ignore[index]


@pytest.mark.parametrize("point", ["done", "acted"])
def test_revoke_principal_killed_mid_run_resumes_without_repeating_a_done_step(
    point: str,
) -> None:
    """Killed after step 1 was recorded done: the rerun skips it. Killed after step 1
    acted but before it was recorded: the rerun repeats it, which finds the keys revoked
    and changes nothing (idempotent)."""
    mine = _api_keys("app1")
    _killed_at(point, 0, "revoke-principal", principal="app1")
    revokes_before = len(_events("apikey.revoke"))
    assert revokes_before == 2
    result = run_playbook("revoke-principal", {"principal": "app1"})
    assert result.resumed and result.status == "done"
    assert result.run_id is not None
    first = result.steps[0]
    if point == "done":
        assert first.status == "skipped" and sorted(first.result["revoked"]) == sorted(mine)
        assert _steps(result.run_id) == [(0, "done", 1), (1, "done", 1)]
    else:
        assert first.status == "done"
        assert first.result["revoked"] == [] and sorted(first.result["already_revoked"]) == sorted(
            mine
        )
        assert _steps(result.run_id) == [(0, "done", 2), (1, "done", 1)]
    # no key was revoked twice: the only new revoke events say "already revoked"
    later = _events("apikey.revoke")[revokes_before:]
    assert all(e["details"]["already_revoked"] for e in later)  # type: ignore[index]
    assert len(_events("token.deny")) == 1  # nor the principal's tokens denied twice
    # the next run of the same parameters is a new run
    again = run_playbook("revoke-principal", {"principal": "app1"})
    assert not again.resumed and again.run_id != result.run_id


@pytest.mark.parametrize("point", ["done", "acted"])
def test_rotate_keys_killed_mid_run_rotates_each_key_once(point: str) -> None:
    from aisec.core.crypto import Keyring

    with Keyring.open() as ring:
        ring.create_key("k1", "aead")
        ring.create_key("k2", "aead")
    old = _api_keys("svc")
    _killed_at(point, 0, "rotate-keys", keys="k1,k2", principal="svc")
    result = run_playbook("rotate-keys", {"keys": "k1,k2", "principal": "svc"})
    assert result.status == "done" and result.resumed
    with Keyring.open() as ring:
        assert [ring.get(k).primary_version for k in ("k1", "k2")] == [2, 2]
    assert len(_events("keys.rotate")) == 2  # each key rotated exactly once
    reissued = result.steps[2].result["reissued"]
    assert sorted(r["old"] for r in reissued) == sorted(old)
    for r in reissued:
        path = Path(r["file"])
        assert path.stat().st_mode & 0o077 == 0
        assert path.read_text().strip().startswith("aisec_")
    blob = json.dumps([e.to_dict() for e in default_log().tail(10_000)], default=str)
    assert not any(Path(r["file"]).read_text().strip() in blob for r in reissued)


def test_quarantine_dataset_killed_after_quarantine_does_not_quarantine_again(
    tmp_path: Path,
) -> None:
    from aisec.data import get_record, record

    data = tmp_path / "train.csv"
    data.write_text("text,label\nhello,1\nbye,0\n")
    rec = record(str(data), source="test", transform="none")
    _killed_at("done", 0, "quarantine-dataset", dataset=rec.id)
    assert get_record(rec.id).quarantined_at is not None
    result = run_playbook("quarantine-dataset", {"dataset": rec.id})
    assert [s.status for s in result.steps] == ["skipped", "done"]
    assert result.steps[1].result["blocked_models"] == []  # no model recorded as trained on it
    assert len(_events("data.quarantine")) == 1


@pytest.mark.parametrize("point", ["done", "acted"])
def test_quarantine_dataset_blocks_models_trained_on_it_and_on_data_made_from_it(
    point: str, aisec_home: Path, tmp_path: Path
) -> None:
    from aisec.core.identity import os_user
    from aisec.data import record
    from aisec.registry import GateRefusedError, Registry

    _write_home_policy(
        aisec_home,
        {
            "access": {"principals": [{"name": os_user(), "roles": ["admin"]}]},
            "registry": {"gate": {"require_signature": False}},
        },
    )
    raw_path, clean_path, other_path = (tmp_path / f"{n}.csv" for n in ("raw", "clean", "other"))
    for p in (raw_path, clean_path, other_path):
        p.write_text(f"text,label\n{p.stem},1\n")
    raw = record(str(raw_path), source="crawl", transform="none")
    clean = record(str(clean_path), source="crawl", transform="dedup", parent=raw.id)
    other = record(str(other_path), source="crm", transform="none")
    with Registry.open() as reg:
        for v, data in (("1", other.id), ("2", clean.id), ("3", raw.id)):
            folder = tmp_path / f"m{v}"
            folder.mkdir()
            (folder / "model.safetensors").write_bytes(_safetensors(int(v)))
            reg.push("fraud", folder, v, trained_on=[data])
        reg.promote("fraud", "1", "production")
        reg.promote("fraud", "2", "production")
    # killed after the quarantine step, or after blocking the models but before recording it
    _killed_at(point, 1, "quarantine-dataset", dataset=raw.id)
    result = run_playbook("quarantine-dataset", {"dataset": raw.id})
    assert result.status == "done" and result.resumed
    block = result.steps[1].result
    if point == "done":
        assert result.steps[1].status == "skipped"
    else:  # the interrupted step ran again and found its work done
        assert block["blocked_models"] == []
        assert sorted(block["already_blocked"]) == ["fraud:2", "fraud:3"]
    with Registry.open() as reg:
        info = reg.show("fraud")
        quarantined = {v.version for v in info.versions if v.quarantined}
        assert quarantined == {"2", "3"}  # trained on raw, or on data made from it
        assert info.stages["production"].version == "1"  # rolled back off version 2
        with pytest.raises(GateRefusedError):  # the gate also refuses it from the ledger alone
            reg.release("fraud", "3")
            reg.promote("fraud", "3", "staging")
    assert len(_events("registry.quarantine")) == 2  # each version blocked once
    assert len(_events("data.quarantine")) == 1


def _write_home_policy(aisec_home: Path, doc: dict[str, object]) -> Path:
    from aisec.core.authz import forget_principal

    aisec_home.mkdir(mode=0o700, exist_ok=True)
    path = aisec_home / "aisec.yaml"
    path.write_text(yaml.safe_dump(doc))
    path.chmod(0o600)
    forget_principal()
    return path


def test_guard_to_block_replay_counts_the_secrets_scanner_from_its_audited_score(
    aisec_home: Path,
) -> None:
    """The secrets scanner's score sits under a secret-looking key (score.output.secrets):
    the audit log keeps it (a float), so the replay can count what blocking would stop."""
    from aisec.core.identity import os_user

    _write_home_policy(
        aisec_home,
        {
            "access": {"principals": [{"name": os_user(), "roles": ["admin"]}]},
            "guard": {"scanners": [{"name": "secrets", "mode": "detect"}]},
        },
    )
    log = default_log()
    for score in (0.99, 0.1):
        log.append(
            "app1", "gateway.request", "default:m", "ok",
            {"decision": "allow", "score.output.secrets": score},
        )  # fmt: skip
    _killed_at("done", 0, "guard-to-block", scanners="secrets")
    replay = run_playbook("guard-to-block", {"scanners": "secrets"}).steps[0]
    assert replay.result["would_block"] == {"secrets": 1}


def test_guard_to_block_replays_the_day_then_switches_the_scanner(aisec_home: Path) -> None:
    from aisec.core.identity import os_user
    from aisec.core.policy import active_policy

    _write_home_policy(
        aisec_home,
        {
            "access": {"principals": [{"name": os_user(), "roles": ["admin"]}]},
            "guard": {"scanners": [{"name": "prompt_injection", "mode": "detect"}]},
        },
    )
    log = default_log()
    for score, decision in ((0.97, "allow"), (0.2, "allow"), (0.99, "block"), (0.8, "redact")):
        log.append(
            "app1",
            "gateway.request",
            "default:m",
            "ok",
            {"decision": decision, "score.input.prompt_injection": score},
        )
    _killed_at("done", 0, "guard-to-block", scanners="prompt_injection")
    result = run_playbook("guard-to-block", {"scanners": "prompt_injection"})
    replay, switch = result.steps
    assert replay.status == "skipped"
    assert replay.result["would_block"] == {"prompt_injection": 2}
    assert replay.result["requests"] == 4 and replay.result["already_blocked"] == 1
    assert switch.result["changed"] == ["prompt_injection"]
    policy = active_policy()
    assert policy is not None
    assert [s.mode.value for s in policy.guard.scanners] == ["block"]
    again = run_playbook("guard-to-block", {"scanners": "prompt_injection"})
    assert again.steps[1].result == {
        **switch.result,
        "changed": [],
        "already": ["prompt_injection"],
    }


def test_playbook_needing_approval_waits_for_another_principal(
    aisec_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aisec.core.identity import os_user
    from aisec.monitor import approve_playbook

    me = os_user()
    _write_home_policy(
        aisec_home,
        {
            "access": {
                "principals": [
                    {"name": me, "roles": ["admin"], "may_act_as": ["bob"]},
                    {"name": "bob", "roles": ["security"]},
                ]
            },
            "playbooks": {
                "cut-off": {
                    "approval": True,
                    "params": {"principal": {"required": True}},
                    "steps": [
                        {
                            "name": "revoke",
                            "action": "apikey.revoke-principal",
                            "with": {"principal": "{principal}"},
                        }
                    ],
                }
            },
        },
    )
    keys = _api_keys("app9", 1)
    waiting = run_playbook("cut-off", {"principal": "app9"})
    assert waiting.status == "awaiting_approval" and waiting.run_id
    assert _events("apikey.revoke") == []
    with pytest.raises(AuthorizationError, match="another principal"):
        approve_playbook(waiting.run_id)
    monkeypatch.setenv("AISEC_PRINCIPAL", "bob")
    from aisec.core.authz import forget_principal

    forget_principal()
    done = approve_playbook(waiting.run_id)
    assert done.status == "done" and done.steps[0].result["revoked"] == keys
    approvals = _events("playbook.approve")
    assert [e["actor"] for e in approvals] == ["bob"]


def _safetensors(seed: int, n: int = 1024) -> bytes:
    import struct

    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + bytes((seed + i) % 251 for i in range(4 * n))


@pytest.mark.parametrize("point", ["done", "acted"])
def test_rollback_model_killed_mid_run_rolls_back_once_then_verifies(
    point: str, aisec_home: Path, tmp_path: Path
) -> None:
    from aisec.core.identity import os_user
    from aisec.registry import Registry

    _write_home_policy(
        aisec_home,
        {
            "access": {"principals": [{"name": os_user(), "roles": ["admin"]}]},
            "registry": {"gate": {"require_signature": False}},
        },
    )
    with Registry.open() as reg:
        for v in ("1", "2", "3"):
            folder = tmp_path / f"m{v}"
            folder.mkdir()
            (folder / "model.safetensors").write_bytes(_safetensors(int(v)))
            reg.push("fraud", folder, v)
            reg.promote("fraud", v, "production")
        reg.pull("fraud", tmp_path / "deployed", version="2")
    params = {"model": "fraud", "stage": "production", "path": str(tmp_path / "deployed")}
    _killed_at(point, 0, "rollback-model", **params)
    result = run_playbook("rollback-model", params)
    assert result.status == "done" and result.resumed
    assert result.steps[0].status == ("skipped" if point == "done" else "done")
    assert result.steps[0].result["version"] == "2"
    assert result.steps[1].result["identical"] is True
    with Registry.open() as reg:
        info = reg.show("fraud")
    assert info.stages["production"].version == "2"  # rolled back once, not to 1
    assert [h.action for h in info.history].count("rollback") == 1
