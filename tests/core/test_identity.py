"""Who is acting (issue 11 §3): the OS user, claims it may make, and where roles come from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aisec.cli.main import main
from aisec.core.audit import default_log
from aisec.core.authz import authorize, require
from aisec.core.errors import AuthorizationError, PolicyError
from aisec.core.identity import (
    PERMISSIONS,
    ROLES,
    ClaimRefusedError,
    Principal,
    current_principal,
    os_user,
    reference_errors,
)
from aisec.core.policy import active_policy, parse_policy

ME = os_user()


def _home() -> Path:
    home = Path(os.environ["AISEC_HOME"])
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home


def _home_policy(text: str) -> Path:
    path = _home() / "aisec.yaml"
    path.write_text(text)
    return path


HOME_POLICY = f"""\
access:
  default_role: auditor
  principals:
    - name: {ME}
      roles: [ml-engineer]
      may_act_as: [deploy-bot, alice, stranger]
    - name: alice
      roles: [ml-engineer]
    - name: deploy-bot
      kind: service
      roles: [service]
"""


def test_every_role_permission_is_declared() -> None:
    for perms in ROLES.values():
        assert perms <= set(PERMISSIONS)
    assert ROLES["admin"] == frozenset(PERMISSIONS)


def test_no_policy_means_single_user_admin() -> None:
    p = current_principal()
    assert (p.name, p.roles, p.claimed_by) == (ME, ("admin",), None)


def test_roles_come_from_policy_for_allowed_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = parse_policy(
        {
            "access": {
                "default_role": "auditor",
                "principals": [
                    {"name": ME, "roles": ["ml-engineer"], "may_act_as": ["a", "bot", "x"]},
                    {"name": "a", "roles": ["security"]},
                    {"name": "bot", "kind": "service", "roles": ["service"]},
                ],
            }
        }
    )
    assert current_principal(policy).roles == ("ml-engineer",)
    monkeypatch.setenv("AISEC_PRINCIPAL", "a")
    assert current_principal(policy).roles == ("security",)
    assert current_principal(policy).claimed_by == ME
    monkeypatch.setenv("AISEC_PRINCIPAL", "bot")
    assert current_principal(policy).kind == "service"
    monkeypatch.setenv("AISEC_PRINCIPAL", "x")
    assert current_principal(policy).roles == ("auditor",)  # not listed: default role


def test_principal_spoofing_by_env_refused_without_policy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AISEC_PRINCIPAL", "root-admin")
    with pytest.raises(ClaimRefusedError):
        current_principal()
    assert main(["access", "check", "audit.read"]) == 2
    err = capsys.readouterr().err
    assert f"runs as OS user {ME!r}" in err and "may_act_as: [root-admin]" in err


def test_principal_spoofing_by_env_refused_unless_policy_allows(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _home_policy(HOME_POLICY)
    monkeypatch.setenv("AISEC_PRINCIPAL", "security-lead")  # not in may_act_as
    assert main(["access", "check", "keys.rotate"]) == 2
    err = capsys.readouterr().err
    assert f"OS user {ME!r} may not act as 'security-lead'" in err
    monkeypatch.delenv("AISEC_PRINCIPAL")
    last = default_log().tail(1)[0]
    assert (last.actor, last.action, last.target, last.outcome) == (
        ME,
        "access.claim-refused",
        "security-lead",
        "denied",
    )


def test_allowed_claim_is_audited_as_claimed_by_os_user(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _home_policy(HOME_POLICY)
    monkeypatch.setenv("AISEC_PRINCIPAL", "deploy-bot")
    assert main(["audit", "record", "model.deployed", "--target", "fraud-v7"]) == 0
    last = default_log().tail(1)[0]
    assert last.actor == "deploy-bot"
    assert last.details["claimed_by_os_user"] == ME


def test_project_policy_cannot_grant_roles(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scanned repository ships aisec.yaml making everyone admin: refused."""
    _home_policy(f"access:\n  principals:\n    - {{name: {ME}, roles: [auditor]}}\n")
    (Path.cwd() / "aisec.yaml").write_text(
        f"access:\n  default_role: admin\n  principals:\n    - {{name: {ME}, roles: [admin]}}\n"
    )
    assert main(["access", "check", "keys.rotate"]) == 2
    err = capsys.readouterr().err
    assert "a project policy (aisec.yaml in the working folder) may not set access" in err
    with pytest.raises(PolicyError, match="may not set access"):
        active_policy()


def test_project_policy_cannot_set_keys_or_store() -> None:
    (Path.cwd() / "aisec.yaml").write_text(
        "keys:\n  default_backend: vault\nstore:\n  url: sqlite:////tmp/evil.db\n"
    )
    with pytest.raises(PolicyError, match="may not set keys, store"):
        active_policy()


def test_project_policy_may_set_guard_over_home_access(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _home_policy(f"access:\n  principals:\n    - {{name: {ME}, roles: [auditor]}}\n")
    (Path.cwd() / "aisec.yaml").write_text(
        "project: scanned-repo\nguard:\n  scanners:\n    - {name: pii, mode: detect}\n"
    )
    policy = active_policy()
    assert policy is not None
    assert policy.project == "scanned-repo"
    assert [s.name for s in policy.guard.scanners] == ["pii"]
    assert [p.roles for p in policy.access.principals] == [["auditor"]]
    assert current_principal().roles == ("auditor",)
    assert "project settings from" in capsys.readouterr().err


def test_explicit_policy_is_used_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    explicit = tmp_path / "ci-policy.yaml"
    explicit.write_text(f"access:\n  principals:\n    - {{name: {ME}, roles: [service]}}\n")
    (Path.cwd() / "aisec.yaml").write_text("access:\n  default_role: admin\n")
    monkeypatch.setenv("AISEC_POLICY", str(explicit))
    assert current_principal().roles == ("service",)


def test_whoami_prints_policy_paths_and_how_the_principal_was_established(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home_file = _home_policy(HOME_POLICY)
    (Path.cwd() / "aisec.yaml").write_text("project: repo\n")
    monkeypatch.setenv("AISEC_PRINCIPAL", "alice")
    assert main(["access", "whoami"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "alice (person); roles: ml-engineer"
    assert out[1] == f"established: claimed by OS user {ME} (allowed by may_act_as) (OS user: {ME})"
    assert out[2] == f"policy: {home_file} (home policy: every section)"
    assert out[3] == (
        f"policy: {Path.cwd() / 'aisec.yaml'} (project policy in the working folder: "
        "project, assets, guard, data only)"
    )


def test_whoami_without_policy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "whoami"]) == 0
    out = capsys.readouterr().out
    assert f"{ME} (person); roles: admin" in out
    assert "policy: none found (single-user mode: the OS user is admin)" in out


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


def test_authorize_returns_the_principal() -> None:
    assert authorize("keys.rotate", Principal("a", roles=("security",))).name == "a"


def test_custom_roles_and_reference_errors() -> None:
    policy = parse_policy(
        {
            "access": {
                "default_role": "nobody",
                "roles": {"labeler": ["data.decrypt", "data.fly"], "admin": ["audit.read"]},
                "principals": [
                    {"name": "a", "roles": ["labeler", "ghost"]},
                    {"name": "a"},
                ],
            }
        }
    )
    assert reference_errors(policy) == [
        "access.roles.labeler[1]: unknown permission 'data.fly' (see: aisec access roles)",
        "access.roles.admin: the built-in role 'admin' cannot be redefined",
        "access.default_role: unknown role 'nobody'; expected one of admin, auditor, "
        "labeler, ml-engineer, security, service",
        "access.principals[0].roles[1]: unknown role 'ghost'; expected one of admin, "
        "auditor, labeler, ml-engineer, security, service",
        "access.principals[1].name: 'a' is listed twice",
    ]
    ok = parse_policy(
        {
            "access": {
                "roles": {"labeler": ["data.decrypt"]},
                "principals": [{"name": ME, "roles": ["labeler"]}],
            }
        }
    )
    p = current_principal(ok)
    assert p.permissions == frozenset({"data.decrypt"})


def test_policy_option_is_used_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AISEC_POLICY", "restored-after-the-test")
    monkeypatch.delenv("AISEC_POLICY")
    explicit = tmp_path / "p.yaml"
    explicit.write_text(f"access:\n  principals:\n    - {{name: {ME}, roles: [auditor]}}\n")
    (Path.cwd() / "aisec.yaml").write_text("access:\n  default_role: admin\n")
    assert main(["--policy", str(explicit), "access", "whoami"]) == 0
    out = capsys.readouterr().out
    assert f"{ME} (person); roles: auditor" in out
    assert f"policy: {explicit} (explicit (AISEC_POLICY / --policy): every section)" in out


def test_os_user_spoofing_by_user_env_vars_has_no_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    """getpass.getuser() believes LOGNAME/USER; the OS user comes from the effective uid."""
    import pwd

    real = pwd.getpwuid(os.geteuid()).pw_name
    for var in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(var, "someone-else")
    assert os_user() == real
    assert current_principal().name == real
