"""Field-encryption fixtures: a master key, an open keyring with an aead and a deterministic key."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisec.core.crypto import Keyring


@pytest.fixture(autouse=True)
def master_key(monkeypatch: pytest.MonkeyPatch, aisec_home: Path) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.delenv("AISEC_MASTER_PASSPHRASE", raising=False)


@pytest.fixture
def ring() -> Iterator[Keyring]:
    with Keyring.open() as keyring:
        keyring.create_key("pii", "aead")
        keyring.create_key("join", "deterministic")
        yield keyring
