"""The AisecError family and the one mapping from outcomes to exit codes."""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "AisecError",
    "AuthorizationError",
    "ConfigError",
    "CryptoError",
    "ExitCode",
    "InputError",
    "PolicyError",
    "ScanError",
    "StoreError",
    "UpstreamError",
]


class ExitCode(IntEnum):
    """Process exit codes shared by every command."""

    CLEAN = 0
    FINDINGS = 1  # findings at or above --fail-on
    USAGE = 2  # usage, configuration or input error
    INTERNAL = 3  # a bug or an unexpected failure


class AisecError(Exception):
    """Base of every error aisec raises on purpose; the message is for the user."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(AisecError):
    """Bad input: a file that cannot be read, a malformed argument, a tampered blob."""


class ConfigError(AisecError):
    """Bad environment or configuration outside the policy file."""


class PolicyError(AisecError):
    """An invalid ``aisec.yaml``; ``errors`` holds one line per problem, each with its path."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or [message]


class StoreError(AisecError):
    """The database could not be opened, migrated or written."""

    exit_code = ExitCode.INTERNAL


class CryptoError(AisecError):
    """A key is missing or disabled, or a ciphertext failed authentication."""


class AuthorizationError(AisecError):
    """A principal lacks the permission an action needs."""


class ScanError(AisecError):
    """A scanner could not run on its input at all (not a finding about the input)."""


class UpstreamError(AisecError):
    """A remote service (KMS, model endpoint) failed or answered badly."""
