"""Evidence from the policy that applies to the assessed tree and from the keyring."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aisec.core.errors import PolicyError
from aisec.core.home import create_home
from aisec.posture import gather_evidence


def test_no_policy_and_no_keyring_is_no_evidence(tmp_path: Path) -> None:
    ev = gather_evidence(tmp_path)
    assert ev.policy_files == ()
    assert not ev.guard_configured and not ev.routes and not ev.tools_allowlist
    assert ev.keys.status == "unknown"


def test_the_trees_own_policy_counts_as_a_project_policy(tmp_path: Path) -> None:
    (tmp_path / "aisec.yaml").write_text(
        "guard:\n  tools:\n    allow: []\ndata:\n  datasets:\n    - path: 'users*.csv'\n",
        encoding="utf-8",
    )
    ev = gather_evidence(tmp_path, read_keys=False)
    assert ev.guard_configured and ev.tools_allowlist
    assert ev.has_contract("data/users-2026.csv") and not ev.has_contract("data/orders.csv")
    assert ev.policy_files == (str(tmp_path / "aisec.yaml"),)
    # a URL tree has no project policy: only the trusted one is read
    assert gather_evidence(None, read_keys=False).policy_files == ()


def test_a_tree_policy_may_not_grant_itself_keys_or_access(tmp_path: Path) -> None:
    (tmp_path / "aisec.yaml").write_text("access:\n  default_role: admin\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="may not set"):
        gather_evidence(tmp_path)


def test_gateway_routes_and_auth_from_the_home_policy(tmp_path: Path, aisec_home: Path) -> None:
    create_home()
    (aisec_home / "aisec.yaml").write_text(
        "gateway:\n  routes:\n    - name: openai\n      models: ['gpt-*']\n"
        "      upstream: https://api.openai.com/v1\n      canary: true\n"
        "gateway_auth:\n  default_models: ['gpt-*']\n",
        encoding="utf-8",
    )
    ev = gather_evidence(tmp_path, read_keys=False)
    assert ev.route_for("gpt-4o") is not None and ev.route_for("claude-3") is None
    assert ev.gateway_auth


def test_keys_past_their_rotation_date(
    tmp_path: Path, aisec_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    from aisec.core.crypto import create_key
    from aisec.core.store import open_store

    create_key("training-data")
    assert gather_evidence(tmp_path).keys.status == "ok"
    store = open_store()
    try:
        with store.write() as conn:
            conn.execute(
                "UPDATE keys SET created = ?, rotated = NULL",
                (conn.time_param(datetime(2020, 1, 1, tzinfo=UTC)),),
            )
    finally:
        store.close()
    keys = gather_evidence(tmp_path).keys
    assert keys.status == "fail" and "training-data" in keys.note


def test_model_tests_are_read_by_file_content_and_the_latest_run_wins(tmp_path: Path) -> None:
    from aisec.core.rules import lookup
    from aisec.core.store import open_store
    from aisec.core.store.findings import record_findings
    from aisec.posture._evidence import model_tests
    from aisec.robustness import tested_finding

    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        a, b = "a" * 64, "b" * 64
        leak = lookup("robustness-membership-leak").finding("m.pkl", evidence="AUC 0.9")
        runs = {
            "r1": [leak, tested_finding("membership", a, "m.pkl", "auc 0.9")],
            "r2": [tested_finding("evasion", a, "m.pkl", "pgd: clean 0.97")],
            "r3": [tested_finding("membership", b, "n.pkl", "auc 0.5")],
        }
        for run_id, findings in runs.items():
            record_findings(store, source="robustness", run_id=run_id, findings=findings)
        # a finding without the tested record (an older aisec, or --no-store) says nothing
        record_findings(store, source="robustness", run_id="r4", findings=[leak])
        tests = model_tests(store)
    finally:
        store.close()
    assert tests[a]["privacy_testing"][0] == "fail"
    assert "robustness-membership-leak" in tests[a]["privacy_testing"][1]
    assert tests[a]["robustness"][0] == "ok"
    assert tests[b] == {"privacy_testing": tests[b]["privacy_testing"]}
    assert tests[b]["privacy_testing"][0] == "ok"
    assert set(tests) == {a, b}
