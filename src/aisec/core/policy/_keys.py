"""The ``keys:`` section: key backends and rotation schedules (owned by aisec.core.crypto)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class KeySchedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    rotation_days: int = Field(default=90, ge=1, le=3650)


class KeysPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default_rotation_days: int = Field(default=90, ge=1, le=3650)
    keys: list[KeySchedule] = Field(default_factory=list)
