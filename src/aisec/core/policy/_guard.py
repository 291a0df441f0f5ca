"""The ``guard:`` section: scanners, modes and thresholds (owned by aisec.guard)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class GuardMode(StrEnum):
    OFF = "off"
    DETECT = "detect"
    BLOCK = "block"
    REDACT = "redact"


class ScannerPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    mode: GuardMode = GuardMode.BLOCK
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)


class GuardPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scanners: list[ScannerPolicy] = Field(default_factory=list)
