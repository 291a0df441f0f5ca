"""The scripted loopback target, and ``aisec up`` in front of it with the guard blocking."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aisec.redteam.testing import ScriptedTarget, behind_gateway


@pytest.fixture
def target() -> Iterator[ScriptedTarget]:
    with ScriptedTarget() as t:
        yield t


@pytest.fixture
def guarded(tmp_path: Path, target: ScriptedTarget) -> Iterator[tuple[str, str]]:
    """(base URL, API key) of a real ``aisec up`` process guarding the scripted target."""
    with behind_gateway(target.url, tmp_path / "gateway") as pair:
        yield pair
