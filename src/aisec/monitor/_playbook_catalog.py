"""The built-in playbooks and rule-to-playbook mapping (data: ``builtin.yaml``)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from aisec.core.errors import ConfigError
from aisec.core.policy import PlaybookPolicy, Policy, RespondRule

__all__ = ["all_playbooks", "default_respond"]


@cache
def _builtin() -> dict[str, Any]:
    import yaml

    text = resources.files(__package__).joinpath("builtin.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError("monitor: builtin.yaml is malformed")
    return data


def default_respond() -> list[RespondRule]:
    return [RespondRule.model_validate(r) for r in _builtin().get("respond", [])]


def builtin_playbooks() -> dict[str, PlaybookPolicy]:
    raw = _builtin().get("playbooks", {})
    return {str(k): PlaybookPolicy.model_validate(v) for k, v in raw.items()}


def all_playbooks(policy: Policy) -> dict[str, PlaybookPolicy]:
    """Built-ins, with the policy's playbooks added or replacing them by name."""
    out = builtin_playbooks()
    out.update(policy.playbooks)
    return dict(sorted(out.items()))
