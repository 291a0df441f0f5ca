from __future__ import annotations

from pathlib import Path

import pytest

from aisec.cli.main import main
from aisec.core.audit import default_log
from aisec.core.errors import AuthorizationError
from aisec.core.identity import PERMISSIONS, ROLES, Principal, current_principal, require
from aisec.core.policy import parse_policy

POLICY = {
    "access": {
        "default_role": "auditor",
        "principals": [
            {"name": "alice", "roles": ["ml-engineer"]},
            {"name": "deploy-bot", "kind": "service", "roles": ["service"]},
        ],
    }
}


def test_every_role_permission_is_declared() -> None:
    for perms in ROLES.values():
        assert perms <= set(PERMISSIONS)
    assert ROLES["admin"] == frozenset(PERMISSIONS)


def test_roles_come_from_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = parse_policy(POLICY)
    monkeypatch.setenv("AISEC_PRINCIPAL", "alice")
    assert current_principal(policy).roles == ("ml-engineer",)
    monkeypatch.setenv("AISEC_PRINCIPAL", "deploy-bot")
    assert current_principal(policy).kind == "service"
    monkeypatch.setenv("AISEC_PRINCIPAL", "stranger")
    assert current_principal(policy).roles == ("auditor",)


def test_no_policy_means_single_user_admin() -> None:
    assert current_principal().roles == ("admin",)


def test_require_denies_and_audits_the_denial() -> None:
    bob = Principal("bob", roles=("auditor",))
    with pytest.raises(AuthorizationError, match=r"bob \(auditor\) may not keys\.rotate"):
        require(bob, "keys.rotate")
    last = default_log().tail(1)[0]
    assert (last.actor, last.action, last.target, last.outcome) == (
        "bob",
        "access.denied",
        "keys.rotate",
        "denied",
    )


def test_require_allows() -> None:
    require(Principal("a", roles=("security",)), "keys.rotate")


def test_cli_uses_policy_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (Path.cwd() / "aisec.yaml").write_text(
        "access:\n  principals:\n    - {name: carol, roles: [auditor]}\n"
    )
    monkeypatch.setenv("AISEC_PRINCIPAL", "carol")
    assert main(["access", "check", "audit.verify"]) == 0
    assert main(["access", "check", "keys.rotate"]) == 2
    assert "may not keys.rotate" in capsys.readouterr().err
    assert main(["audit", "record", "x", "--target", "y"]) == 2
