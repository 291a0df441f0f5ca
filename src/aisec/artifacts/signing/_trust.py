"""Trusted signers from the policy (``signing.trusted_keys``)."""

from __future__ import annotations

from pathlib import Path

from aisec.artifacts.signing._model import TrustedKey
from aisec.core.policy import Policy

__all__ = ["policy_trusted_keys"]


def policy_trusted_keys(policy: Policy | None = None, base: Path | None = None) -> list[TrustedKey]:
    """The trusted keys of ``policy`` (default: the active policy); relative file paths
    are taken from ``base`` (default: the folder of the most trusted policy file)."""
    from aisec.core.policy import active_policy, find_policy

    if policy is None:
        policy = active_policy()
        if policy is None:
            return []
    if base is None:
        found = find_policy()
        base = found.parent if found is not None else Path.cwd()

    def where(value: str | None) -> Path | None:
        if value is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path

    return [
        TrustedKey(
            name=entry.name,
            keyring=entry.keyring,
            public_key=where(entry.public_key),
            certificate_chain=where(entry.certificate_chain),
        )
        for entry in policy.signing.trusted_keys
    ]
