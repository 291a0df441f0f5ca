"""Keyring fixtures: a master key from the environment and an open keyring per test."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisec.core.crypto import Keyring


@pytest.fixture(autouse=True)
def master_key(monkeypatch: pytest.MonkeyPatch, aisec_home: Path) -> str:
    value = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("AISEC_MASTER_KEY", value)
    monkeypatch.delenv("AISEC_MASTER_PASSPHRASE", raising=False)
    return value


@pytest.fixture
def ring() -> Iterator[Keyring]:
    with Keyring.open() as keyring:
        yield keyring
