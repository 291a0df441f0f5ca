"""The promotion gate: refused for a malicious scan, an unsigned version and an untrusted
signer; passed with --override --reason by a role that has registry.override (audited);
refused for a role that does not. A quarantine is never overridden."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from registry_samples import make_malicious_model, make_model

from aisec.core.audit import default_log
from aisec.core.crypto import Keyring
from aisec.core.errors import AuthorizationError, InputError
from aisec.registry import GateRefusedError, Registry, RegistryError

TRUSTED = [{"name": "release", "keyring": "release"}]


@pytest.fixture(autouse=True)
def keys(write_policy: Callable[..., Path]) -> None:
    write_policy(trusted=TRUSTED)
    with Keyring.open() as ring:
        ring.create_key("release", "signing")
        ring.create_key("laptop", "signing")  # a real key, but not a trusted one


def _as(monkeypatch: pytest.MonkeyPatch, who: str) -> None:
    monkeypatch.setenv("AISEC_PRINCIPAL", who)


def _events(action: str) -> list[dict[str, object]]:
    return [
        {"actor": e.actor, "outcome": e.outcome, **e.details}
        for e in default_log().tail(200)
        if e.action == action
    ]


def test_malicious_scan_verdict_is_refused(tmp_path: Path) -> None:
    model = make_malicious_model(tmp_path / "evil")
    with Registry.open() as reg:
        pushed = reg.push("m", model, "1", key="release")
        assert pushed.version.scan_verdict == "malicious"
        with pytest.raises(GateRefusedError) as err:
            reg.promote("m", "1", "production")
    assert any("scan verdict is malicious" in p for p in err.value.problems)
    assert err.value.exit_code == 1
    assert _events("registry.promote")[-1]["outcome"] == "denied"


def test_unsigned_version_is_refused(tmp_path: Path) -> None:
    with Registry.open() as reg:
        reg.push("m", make_model(tmp_path / "m"), "1")
        with pytest.raises(GateRefusedError) as err:
            reg.promote("m", "1", "staging")
    assert err.value.problems == [
        "unsigned: the gate requires a signature by a trusted key (signing.trusted_keys)"
    ]


def test_signature_by_an_untrusted_key_is_refused(tmp_path: Path) -> None:
    with Registry.open() as reg:
        pushed = reg.push("m", make_model(tmp_path / "m"), "1", key="laptop")
        assert pushed.version.signer is not None and pushed.version.signer.startswith("laptop")
        with pytest.raises(GateRefusedError) as err:
            reg.promote("m", "1", "production")
    assert any(p.startswith("signature: untrusted key") for p in err.value.problems)


def test_trusted_signature_and_clean_scan_pass(tmp_path: Path) -> None:
    with Registry.open() as reg:
        reg.push("m", make_model(tmp_path / "m"), "1", key="release")
        result = reg.promote("m", "1", "production")
    assert result.problems == []
    assert result.signer is not None and result.signer.startswith("release")
    assert result.move.action == "promote"


def test_override_with_reason_by_a_role_that_has_it_is_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as(monkeypatch, "sam")  # security: registry.override
    with Registry.open() as reg:
        reg.push("m", make_model(tmp_path / "m"), "1")
        result = reg.promote(
            "m", "1", "production", override=True, reason="hotfix INC-42, signed later"
        )
        assert result.move.action == "override"
        assert result.problems and result.problems[0].startswith("unsigned")
        state = reg.show("m").stages["production"]
        assert state.version == "1" and state.override
    event = _events("registry.promote")[-1]
    assert event["actor"] == "sam" and event["outcome"] == "ok"
    assert event["gate"] == "overridden" and event["reason"] == "hotfix INC-42, signed later"
    assert "unsigned" in str(event["problems"])


def test_override_by_a_role_without_it_is_refused_and_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Registry.open() as reg:
        reg.push("m", make_model(tmp_path / "m"), "1")
    _as(monkeypatch, "rita")  # releaser: may promote, may not override
    with Registry.open() as reg, pytest.raises(AuthorizationError, match=r"registry\.override"):
        reg.promote("m", "1", "production", override=True, reason="please")
    denied = _events("access.denied")
    assert denied and denied[-1]["actor"] == "rita"
    with Registry.open() as reg:
        assert "production" not in reg.show("m").stages


def test_override_needs_a_reason(tmp_path: Path) -> None:
    with Registry.open() as reg:
        reg.push("m", make_model(tmp_path / "m"), "1")
        with pytest.raises(InputError, match="--override needs --reason"):
            reg.promote("m", "1", "production", override=True, reason="  ")


def test_a_role_without_promote_cannot_promote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as(monkeypatch, "alice")  # ml-engineer: push, not promote
    with Registry.open() as reg:
        reg.push("m", make_model(tmp_path / "m"), "1", key="release")
        with pytest.raises(AuthorizationError, match=r"registry\.promote"):
            reg.promote("m", "1", "production")


def test_a_quarantined_version_is_not_promoted_even_with_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as(monkeypatch, "sam")
    with Registry.open() as reg:
        reg.push("m", make_model(tmp_path / "m"), "1", key="release")
        reg.quarantine("m", "1", "poisoned training data")
        with pytest.raises(RegistryError, match="quarantined"):
            reg.promote("m", "1", "production", override=True, reason="ship it")


def test_max_verdict_suspicious_lets_a_suspicious_model_through(
    tmp_path: Path, write_policy: Callable[..., Path]
) -> None:
    write_policy(trusted=TRUSTED, registry={"gate": {"max_verdict": "suspicious"}})
    with Registry.open() as reg:
        reg.push("m", make_malicious_model(tmp_path / "evil"), "1", key="release")
        with pytest.raises(GateRefusedError, match="at most suspicious"):
            reg.promote("m", "1", "production")  # malicious is above suspicious still


def test_a_project_policy_cannot_loosen_the_gate(tmp_path: Path) -> None:
    from aisec.core.errors import PolicyError
    from aisec.core.policy import active_policy

    (Path.cwd() / "aisec.yaml").write_text("registry:\n  gate:\n    require_signature: false\n")
    with pytest.raises(PolicyError, match="may not set registry"):
        active_policy()


def test_an_override_carries_to_the_pull_by_stage_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aisec.registry import IntegrityError

    _as(monkeypatch, "sam")
    with Registry.open() as reg:
        reg.push("m", make_model(tmp_path / "m"), "1", key="laptop")
        reg.promote("m", "1", "production", override=True, reason="vendor key, INC-9")
        pulled = reg.pull("m", tmp_path / "by-stage", stage="production")
        assert pulled.signer is None
        assert any("accepted by the override" in n and "INC-9" in n for n in pulled.notes)
        with pytest.raises(IntegrityError, match="signature does not verify by a trusted key"):
            reg.pull("m", tmp_path / "by-version", version="1")
    assert not (tmp_path / "by-version").exists()
