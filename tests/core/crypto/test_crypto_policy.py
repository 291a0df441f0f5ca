"""The ``keys:`` policy section: backends and per-key rotation schedules."""

from __future__ import annotations

import pytest

from aisec.core.errors import PolicyError
from aisec.core.policy import parse_policy


def test_keys_section_parses_backends_and_schedules() -> None:
    policy = parse_policy(
        {
            "keys": {
                "default_backend": "vault",
                "default_rotation_days": 30,
                "keys": [{"name": "datasets", "rotation_days": 7}],
                "vault": {"url": "https://vault.internal:8200", "transit_mount": "kms"},
                "aws_kms": {"key_uri": "aws-kms://arn:aws:kms:eu-west-1:111122223333:key/abc"},
            }
        }
    )
    keys = policy.keys
    assert keys.default_backend == "vault" and keys.vault.transit_mount == "kms"
    assert keys.rotation_days("datasets") == 7 and keys.rotation_days("other") == 30


def test_unknown_backend_names_the_choices() -> None:
    with pytest.raises(PolicyError) as exc:
        parse_policy({"keys": {"default_backend": "floppy"}})
    assert any("keys.default_backend" in e for e in exc.value.errors)


def test_secrets_have_no_place_in_the_policy() -> None:
    with pytest.raises(PolicyError) as exc:
        parse_policy({"keys": {"vault": {"token": "s.abc"}}})
    assert any("keys.vault.token: unknown field" in e for e in exc.value.errors)
