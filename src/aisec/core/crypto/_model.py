"""Values the keyring hands out: key metadata (never key material)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Purpose = Literal["aead", "deterministic", "streaming", "signing"]
PURPOSES: tuple[Purpose, ...] = ("aead", "deterministic", "streaming", "signing")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")  # key names: also safe as file names
ENABLED = "enabled"
DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class KeyVersion:
    version: int
    created: datetime
    state: str


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A named key: purpose, backend, versions and their states."""

    name: str
    purpose: Purpose
    backend: str
    backend_ref: str
    primary_version: int
    created: datetime
    rotated: datetime | None
    state: str
    versions: tuple[KeyVersion, ...]

    @property
    def last_rotation(self) -> datetime:
        return self.rotated or self.created

    def version(self, number: int) -> KeyVersion | None:
        for v in self.versions:
            if v.version == number:
                return v
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "purpose": self.purpose,
            "backend": self.backend,
            "backend_ref": self.backend_ref,
            "primary_version": self.primary_version,
            "created": self.created.isoformat(),
            "rotated": self.rotated.isoformat() if self.rotated else None,
            "state": self.state,
            "versions": [
                {"version": v.version, "created": v.created.isoformat(), "state": v.state}
                for v in self.versions
            ],
        }
