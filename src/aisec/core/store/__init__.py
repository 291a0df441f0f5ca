"""The store: one database for findings, assets, audit, keys metadata and principals.

Embedded SQLite by default (``$AISEC_HOME/aisec.db``, WAL); PostgreSQL when
``AISEC_DATABASE_URL`` says so. The schema changes only through Alembic migrations,
which :func:`open_store` applies.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from aisec.core.errors import ConfigError, StoreError
from aisec.core.store._models import (
    AssetRow,
    AuditCheckpointRow,
    AuditEventRow,
    Base,
    FindingRow,
)

__all__ = [
    "AssetRow",
    "AuditCheckpointRow",
    "AuditEventRow",
    "Base",
    "FindingRow",
    "Store",
    "database_url",
    "open_store",
    "redact_url",
]

# Any 64-bit constant: the PostgreSQL advisory lock that serialises migrations.
_MIGRATE_LOCK = 0x61697365635F6D67


def database_url() -> str:
    """``AISEC_DATABASE_URL``, else SQLite at ``$AISEC_HOME/aisec.db``."""
    from aisec.core.home import aisec_home

    url = os.environ.get("AISEC_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{aisec_home() / 'aisec.db'}"


def redact_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<unparseable database URL>"


_MIGRATIONS = resources.files("aisec.core.store").joinpath("migrations")
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(.+)$", re.M)


@cache
def _head_revisions() -> set[str]:
    """Heads of the migration graph, read from the version files without importing Alembic
    (a test checks this agrees with Alembic's own ScriptDirectory)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for entry in _MIGRATIONS.joinpath("versions").iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("_"):
            continue
        fields = dict(_REVISION.findall(entry.read_text("utf-8")))
        rev = ast.literal_eval(fields["revision"])
        down = ast.literal_eval(fields.get("down_revision", "None"))
        revisions.add(rev)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(down)
    return revisions - parents


def _normalise(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Store:
    """A database handle. ``write()`` gives a serialised write transaction."""

    def __init__(self, url: str) -> None:
        self.url = _normalise(url)
        try:
            self.engine: Engine = self._make_engine()
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise ConfigError(f"store: cannot use database {redact_url(url)}: {exc}") from None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _make_engine(self) -> Engine:
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                # The store holds audit events and key metadata: owner-only, like the keys.
                # SQLite gives its -wal and -shm files the database file's permissions.
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            engine = create_engine(self.url, connect_args={"timeout": 60})

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA busy_timeout=60000")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn: Connection) -> None:
                immediate = conn.get_execution_options().get("aisec_write", False)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

            return engine
        return create_engine(self.url, pool_pre_ping=True, pool_size=10, max_overflow=20)

    @contextmanager
    def write(self, lock_key: int | None = None) -> Iterator[Connection]:
        """A write transaction that holds the database's write lock (SQLite) or the
        advisory lock ``lock_key`` (PostgreSQL) until commit, so read-then-write is safe."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(aisec_write=True)
                with conn.begin():
                    if lock_key is not None and self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
                    yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"store: write failed on {redact_url(self.url)}: {exc}") from None

    def session(self) -> Session:
        return Session(self.engine)

    def _current_revisions(self) -> set[str]:
        """The revisions recorded in the database (empty for a new database)."""
        from sqlalchemy import inspect

        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return set()
            return {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}

    def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op when it is there already).

        Alembic (slow to import) is loaded only when a migration is actually due.
        """
        try:
            if self._current_revisions() == _head_revisions():
                return
            from alembic import command
            from alembic.config import Config
            from alembic.runtime.migration import MigrationContext

            cfg = Config()
            cfg.set_main_option("script_location", str(_MIGRATIONS))
            with self.write(_MIGRATE_LOCK) as conn:
                if set(MigrationContext.configure(conn).get_current_heads()) == _head_revisions():
                    return
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise StoreError(
                f"store: cannot open or migrate {redact_url(self.url)}: {exc}"
            ) from None

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open the configured store and apply pending migrations."""
    store = Store(url or database_url())
    if migrate:
        store.migrate()
    return store
