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


def test_timestamps_read_and_written_like_sqlalchemy(db_url: str) -> None:
    """Rows written through the DB-API read back equal through SQLAlchemy, and the other
    way round, so databases written by earlier versions keep working."""
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import insert, select

    from aisec.core.store import Connection
    from aisec.core.store._models import KeyRow

    store = open_store(db_url)
    mine = datetime(2026, 3, 1, 12, 30, 5, 0, tzinfo=timezone(timedelta(hours=2)))
    theirs = datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC)
    cols = "(name, purpose, backend, backend_ref, primary_version, created, rotated, state)"
    with store.write() as conn:
        conn.execute(
            f"INSERT INTO keys {cols} VALUES (?, 'aead', 'local', '', 1, ?, NULL, 'enabled')",  # noqa: S608
            ("mine", conn.time_param(mine)),
        )
    with store.engine.begin() as sa:
        sa.execute(
            insert(KeyRow).values(
                name="theirs",
                purpose="aead",
                backend="local",
                backend_ref="",
                primary_version=1,
                created=theirs,
                rotated=None,
                state="enabled",
            )
        )
        by_sqlalchemy = dict(sa.execute(select(KeyRow.name, KeyRow.created)).all())
    with store.read() as conn:
        by_dbapi = dict(conn.execute("SELECT name, created FROM keys").fetchall())
    assert Connection.time_value(by_dbapi["mine"]) == mine
    assert Connection.time_value(by_dbapi["theirs"]) == theirs
    assert Connection.time_value(by_sqlalchemy["mine"]) == mine
    store.close()


def test_failed_write_block_leaves_nothing_and_driver_errors_are_store_errors(
    db_url: str,
) -> None:
    from aisec.core.errors import CryptoError

    store = open_store(db_url)
    with pytest.raises(CryptoError), store.write() as conn:
        conn.execute(
            "INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature)"
            " VALUES (1, 'h', 't', 'k', 's')"
        )
        raise CryptoError("refused half way")
    with store.read() as conn:
        assert conn.execute("SELECT count(*) FROM audit_checkpoints").fetchone()[0] == 0
    with pytest.raises(StoreError, match="read failed"), store.read() as conn:
        conn.execute("SELECT nosuchcolumn FROM audit_checkpoints")
    with store.read() as conn:  # the store still works after an error
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] == 0
    store.close()


def test_dropped_postgres_connection_is_replaced(postgres_url: str) -> None:
    import psycopg

    store = open_store(postgres_url)
    with store.read() as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with store.read() as conn:  # the idle connection is dead: a new one is made
        assert conn.execute("SELECT pg_backend_pid()").fetchone()[0] != pid
    store.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "give a database file"),
        ("sqlite:///:memory:", "give a database file"),
        ("sqlite:///x.db?mode=ro", "SQLite URLs take no"),
        ("mysql://u:pw@h/db", "expected sqlite:///PATH or postgresql://"),
        ("no url at all", "expected sqlite:///PATH"),
    ],
)
def test_unsupported_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        Store(url)
    assert "pw" not in str(info.value)


def test_redact_url_forms() -> None:
    assert redact_url("postgresql://u:p%40ss@h:5432/db?x=1") == "postgresql://u:***@h:5432/db?x=1"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact_url("sqlite:////tmp/a.db") == "sqlite:////tmp/a.db"
    assert redact_url("nonsense") == "<unparseable database URL>"
