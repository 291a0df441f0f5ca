"""The registry's errors and their exit codes."""

from __future__ import annotations

from aisec.core.errors import AisecError, ExitCode

__all__ = ["GateRefusedError", "IntegrityError", "RegistryError"]


class RegistryError(AisecError):
    """A registry request that cannot be done as asked (exit 2): an unknown model or
    version, a version pushed again with other bytes, a quarantined version."""


class GateRefusedError(RegistryError):
    """A promotion the gate refused (exit 1); ``problems`` names each failed check."""

    exit_code = ExitCode.FINDINGS

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(f"{message}: " + "; ".join(problems))
        self.problems = problems


class IntegrityError(RegistryError):
    """Stored bytes or a signature do not match what was registered (exit 1): a blob
    changed or missing in the blob store, a signature that no longer verifies."""

    exit_code = ExitCode.FINDINGS
