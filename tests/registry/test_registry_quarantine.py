"""Quarantine and rollback: the last known good version, automatic rollback of a stage
that pointed at a quarantined version, release."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from registry_samples import make_model, tree_bytes

from aisec.core.audit import default_log
from aisec.core.errors import InputError
from aisec.registry import Registry, RegistryError

NO_SIGNATURE = {"gate": {"require_signature": False}}


@pytest.fixture
def reg(tmp_path: Path, write_policy: Callable[..., Path]) -> Registry:
    write_policy(registry=NO_SIGNATURE)
    registry = Registry.open()
    for n in (1, 2, 3):
        registry.push("m", make_model(tmp_path / f"v{n}", seed=n), str(n))
    return registry


def _production(reg: Registry) -> str | None:
    state = reg.show("m").stages.get("production")
    return state.version if state else None


def test_rollback_walks_back_and_never_returns_to_a_version_it_left(reg: Registry) -> None:
    for v in ("1", "2", "3"):
        reg.promote("m", v, "production")
    assert reg.rollback("m", "production").version == "2"
    assert reg.rollback("m", "production").version == "1"  # not back to 3
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        reg.rollback("m", "production")
    reg.close()


def test_rollback_skips_overridden_and_quarantined_versions(reg: Registry, tmp_path: Path) -> None:
    reg.promote("m", "1", "production")
    reg.promote("m", "2", "production")
    reg.promote("m", "3", "production", override=True, reason="hotfix")  # gate passed anyway
    reg.quarantine("m", "2", "bad eval")  # production is on 3: no automatic move
    assert _production(reg) == "3"
    assert reg.rollback("m", "production").version == "1"
    reg.close()


def test_quarantine_rolls_a_stage_back_and_says_so(reg: Registry, tmp_path: Path) -> None:
    reg.promote("m", "1", "production")
    reg.promote("m", "2", "production")
    result = reg.quarantine("m", "2", "CVE-2026-0001 in tokenizer")
    assert [(m.stage, m.previous, m.version, m.action) for m in result.moves] == [
        ("production", "2", "1", "auto-rollback")
    ]
    assert _production(reg) == "1"
    out = tmp_path / "out"
    assert reg.pull("m", out, stage="production").version.version == "1"
    assert tree_bytes(out) == tree_bytes(tmp_path / "v1")
    events = [e for e in default_log().tail(50) if e.action == "registry.auto-rollback"]
    assert events and events[-1].details["to"] == "1" and events[-1].details["from"] == "2"
    with pytest.raises(RegistryError, match="quarantined"):
        reg.promote("m", "2", "staging")
    reg.close()


def test_quarantine_with_no_earlier_good_version_empties_the_stage(reg: Registry) -> None:
    reg.promote("m", "1", "staging")
    result = reg.quarantine("m", "1", "leaked PII")
    assert result.moves[0].version is None
    with pytest.raises(RegistryError, match="has no version in staging"):
        reg.pull("m", Path("never"), stage="staging")
    assert not Path("never").exists()
    reg.close()


def test_a_quarantined_version_can_be_pulled_by_version_for_forensics(
    reg: Registry, tmp_path: Path
) -> None:
    reg.quarantine("m", "3", "investigating")
    pulled = reg.pull("m", tmp_path / "forensics", version="3")
    assert any("quarantined" in n for n in pulled.notes)
    reg.close()


def test_release_lifts_the_quarantine_but_moves_no_stage(reg: Registry) -> None:
    reg.promote("m", "1", "production")
    reg.promote("m", "2", "production")
    reg.quarantine("m", "2", "false alarm?")
    released = reg.release("m", "2")
    assert not released.quarantined
    assert _production(reg) == "1"
    reg.promote("m", "2", "production")
    assert _production(reg) == "2"
    with pytest.raises(RegistryError, match="is not quarantined"):
        reg.release("m", "2")
    reg.close()


def test_unknown_names_and_stages_are_clear_errors(reg: Registry) -> None:
    with pytest.raises(RegistryError, match="no version '9'"):
        reg.promote("m", "9", "production")
    with pytest.raises(RegistryError, match="no model named 'nope'"):
        reg.show("nope")
    with pytest.raises(InputError, match="stage 'prod'"):
        reg.promote("m", "1", "prod")
    with pytest.raises(InputError, match=r"model name '\.\./x'"):
        reg.push("../x", Path(), "1")
    reg.close()
