from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from aisec.core.errors import ConfigError, StoreError
from aisec.core.store import Store, database_url, open_store, redact_url


def test_default_url_is_sqlite_in_aisec_home(aisec_home: Path) -> None:
    assert database_url() == f"sqlite:///{aisec_home / 'aisec.db'}"


def test_database_url_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_DATABASE_URL", "postgresql://u:secret@db/x")
    assert database_url() == "postgresql://u:secret@db/x"
    assert "secret" not in redact_url(database_url())


def test_migrations_create_schema_idempotently(db_url: str) -> None:
    store = open_store(db_url)
    store.migrate()  # second run is a no-op
    tables = set(inspect(store.engine).get_table_names())
    assert {"audit_events", "audit_checkpoints", "findings", "assets", "alembic_version"} <= tables
    store.close()


def test_sqlite_uses_wal(aisec_home: Path) -> None:
    store = open_store(f"sqlite:///{aisec_home / 'w.db'}")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    store.close()


def test_unreachable_postgres_is_a_clear_error() -> None:
    store = Store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreError, match="cannot open or migrate"):
        store.migrate()


def test_unknown_driver_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cannot use database"):
        Store("nosuchdb://x")


def test_fast_head_detection_agrees_with_alembic() -> None:
    from importlib import resources

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from aisec.core.store import _head_revisions

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("aisec.core.store").joinpath("migrations"))
    )
    assert _head_revisions() == set(ScriptDirectory.from_config(cfg).get_heads())


def test_sqlite_database_file_is_owner_only(aisec_home: Path) -> None:
    import stat

    store = open_store(f"sqlite:///{aisec_home / 'private.db'}")
    store.close()
    assert stat.S_IMODE((aisec_home / "private.db").stat().st_mode) == 0o600
