"""Fixtures shared by the whole suite: an isolated AISEC_HOME and database URLs.

PostgreSQL tests use the server in ``AISEC_TEST_POSTGRES_URL`` (``.ci/run`` sets it and
sets ``AISEC_REQUIRE_POSTGRES=1`` so a missing server fails instead of skipping). Each
test gets its own freshly created database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def aisec_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test runs with its own AISEC_HOME and working folder, and no ambient config."""
    home = tmp_path / "aisec-home"
    monkeypatch.setenv("AISEC_HOME", str(home))
    for var in ("AISEC_DATABASE_URL", "AISEC_POLICY", "AISEC_PRINCIPAL", "AISEC_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    from aisec.core.authz import forget_principal

    forget_principal()  # tests rewrite policy files in place within a second
    yield home
    from aisec.core.audit import reset_default

    reset_default()


def _postgres_admin_url() -> str | None:
    return os.environ.get("AISEC_TEST_POSTGRES_URL")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a new, empty PostgreSQL database (dropped after the test)."""
    admin = _postgres_admin_url()
    if not admin:
        if os.environ.get("AISEC_REQUIRE_POSTGRES") == "1":
            pytest.fail("AISEC_REQUIRE_POSTGRES=1 but AISEC_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL: set AISEC_TEST_POSTGRES_URL")
    import psycopg

    name = f"aisec_test_{uuid.uuid4().hex[:12]}"
    base = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    prefix = base.rsplit("/", 1)[0]
    yield f"{prefix}/{name}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, aisec_home: Path) -> str:
    """Each test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{aisec_home / 'aisec.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
