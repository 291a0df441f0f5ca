"""Shared fixtures for the artifact scanner tests (the root conftest isolates AISEC_HOME)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def benign_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every benign real-model file, built once per session."""
    from corpus import BENIGN

    folder = tmp_path_factory.mktemp("benign")
    for _name, build in BENIGN:
        build(folder)
    return folder
