"""CLI tests read tables as text: give them a fixed width whatever the environment says."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def table_width(monkeypatch: pytest.MonkeyPatch) -> None:
    # Off a terminal, tables follow $COLUMNS (else 120). pytest-xdist workers and CI
    # runners may export a narrow COLUMNS, which would fold the names the tests look for.
    monkeypatch.setenv("COLUMNS", "120")
