"""The ``keys:`` section: key backends and rotation schedules (owned by aisec.core.crypto)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BackendName = Literal["local", "vault", "aws-kms"]


class KeySchedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    rotation_days: int = Field(default=90, ge=1, le=3650)


class VaultSettings(BaseModel):
    """HashiCorp Vault transit: the token comes from ``VAULT_TOKEN``, never from the policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(default=None, description="Vault address; default $VAULT_ADDR.")
    transit_mount: str = Field(default="transit", min_length=1)
    namespace: str | None = None
    verify_tls: bool = True


class AwsKmsSettings(BaseModel):
    """AWS KMS: credentials come from the usual AWS chain, never from the policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_uri: str | None = Field(
        default=None, description="Default KEK, aws-kms://arn:aws:kms:REGION:ACCOUNT:key/ID."
    )
    endpoint_url: str | None = Field(
        default=None, description="Only for a private endpoint or a local emulator."
    )


class KeysPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default_backend: BackendName = "local"
    default_rotation_days: int = Field(default=90, ge=1, le=3650)
    keys: list[KeySchedule] = Field(default_factory=list)
    vault: VaultSettings = Field(default_factory=VaultSettings)
    aws_kms: AwsKmsSettings = Field(default_factory=AwsKmsSettings)

    def rotation_days(self, name: str) -> int:
        """Days between rotations of key ``name``: its own schedule, else the default."""
        for schedule in self.keys:
            if schedule.name == name:
                return schedule.rotation_days
        return self.default_rotation_days
