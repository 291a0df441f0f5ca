"""The store: one database for findings, assets, audit, keys metadata and principals.

Embedded SQLite by default (``$AISEC_HOME/aisec.db``, WAL); PostgreSQL when
``AISEC_DATABASE_URL`` says so. The schema is defined once, as SQLAlchemy models in
``_models.py``, and changes only through Alembic migrations, which :func:`open_store`
applies.

Queries run as plain SQL on the DB-API driver (sqlite3, or psycopg for PostgreSQL) through
:meth:`Store.read` and :meth:`Store.write`. Importing SQLAlchemy (with the asyncio and ssl
it pulls in) costs 15 MB of RSS for Core, 21 MB with the ORM, more than Tink or the policy
model, and ``aisec encrypt``, which only reads key metadata and appends one audit event,
must stay within 64 MB; so SQLAlchemy and Alembic are loaded only when a migration is due
or when code asks for :attr:`Store.engine`.
"""

from __future__ import annotations

import ast
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aisec.core.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from sqlalchemy import Engine

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
    "Connection",
    "FindingRow",
    "Store",
    "database_url",
    "open_store",
    "redact_url",
]

# Any 64-bit constant: the PostgreSQL advisory lock that serialises migrations.
_MIGRATE_LOCK = 0x61697365635F6D67
_MAX_IDLE = 8  # idle connections kept per store
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=60000",
    "PRAGMA foreign_keys=ON",
)
_MODELS = frozenset({"AssetRow", "AuditCheckpointRow", "AuditEventRow", "Base", "FindingRow"})


def __getattr__(name: str) -> Any:
    # The table models import SQLAlchemy's ORM; load them only for code that asks.
    if name in _MODELS:
        from aisec.core.store import _models

        return getattr(_models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def database_url() -> str:
    """``AISEC_DATABASE_URL``, else SQLite at ``$AISEC_HOME/aisec.db``."""
    from aisec.core.home import aisec_home

    url = os.environ.get("AISEC_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{aisec_home() / 'aisec.db'}"


def redact_url(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "<unparseable database URL>"
    netloc, slash, tail = rest.partition("/")
    userinfo, at, host = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}{slash}{tail}"


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


def _parse_url(url: str) -> tuple[str, str]:
    """(dialect, SQLite file path or libpq connection URI) of a SQLAlchemy-style URL."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if sep and scheme in ("sqlite", "sqlite+pysqlite"):
        path, _, query = rest.partition("?")
        if query:
            raise ConfigError(f"store: {redact_url(url)}: SQLite URLs take no '?' options")
        if not path.startswith("/") or path in ("/", "/:memory:"):
            raise ConfigError(
                f"store: {redact_url(url)}: give a database file, sqlite:///PATH "
                "(an in-memory database would not outlive one connection)"
            )
        return "sqlite", path[1:]
    if sep and scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return "postgresql", "postgresql://" + rest
    raise ConfigError(
        f"store: cannot use database {redact_url(url)}: expected sqlite:///PATH or "
        "postgresql://USER@HOST/DATABASE"
    )


class Cursor(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


@cache
def _postgres_sql(sql: str) -> str:
    if "%" in sql:  # psycopg would read it as a placeholder
        raise ValueError(f"store SQL must not contain '%': {sql!r}")
    return sql.replace("?", "%s")


class Connection:
    """A DB-API connection inside one transaction. SQL takes ``?`` placeholders on every
    database; rows are tuples."""

    __slots__ = ("_postgres", "_raw", "dialect")

    def __init__(self, raw: Any, dialect: str) -> None:
        self._raw = raw
        self.dialect = dialect
        self._postgres = dialect == "postgresql"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        cursor: Cursor = self._raw.execute(
            _postgres_sql(sql) if self._postgres else sql, tuple(params)
        )
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run ``sql`` once per row of parameters (one round trip per batch, not per row)."""
        params = [tuple(r) for r in rows]
        if not params:
            return
        if self._postgres:
            with self._raw.cursor() as cursor:
                cursor.executemany(_postgres_sql(sql), params)
        else:
            self._raw.executemany(sql, params)

    def time_param(self, value: datetime) -> Any:
        """A timezone-aware datetime as this database stores a ``DateTime(timezone=True)``
        column: PostgreSQL takes it as is; SQLite gets SQLAlchemy's text format in UTC."""
        if self._postgres:
            return value
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    @staticmethod
    def time_value(value: Any) -> datetime:
        """A ``DateTime(timezone=True)`` column's value as a UTC-aware datetime."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise StoreError(f"store: expected a timestamp, got {type(value).__name__}")
        return value if value.tzinfo else value.replace(tzinfo=UTC)


def _connect_sqlite(path: str) -> Any:
    import sqlite3

    # isolation_level=None: we issue BEGIN ourselves. The pool hands a connection to one
    # thread at a time, so it may move between threads.
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    for pragma in _SQLITE_PRAGMAS:
        conn.execute(pragma)
    return conn


def _connect_postgres(conninfo: str) -> Any:
    try:
        import psycopg
    except ImportError:
        raise ConfigError(
            "store: PostgreSQL needs psycopg: pip install 'psycopg[binary]'"
        ) from None
    return psycopg.connect(conninfo, autocommit=True)  # we issue BEGIN ourselves


class _Pool:
    """Idle connections, reused across transactions and threads but never across fork."""

    def __init__(self, connect: Callable[[], Any], close: Callable[[Any], None]) -> None:
        self._connect = connect
        self._close = close
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def take(self) -> tuple[Any, bool]:
        """A connection, and whether it was used before (it may have gone stale)."""
        with self._lock:
            if self._pid != os.getpid():  # a child must not share its parent's connections
                self._idle = []
                self._pid = os.getpid()
            if self._idle:
                return self._idle.pop(), True
        return self._connect(), False

    def give(self, raw: Any) -> None:
        with self._lock:
            if self._pid == os.getpid() and len(self._idle) < _MAX_IDLE:
                self._idle.append(raw)
                return
        self._close(raw)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for raw in idle:
            self._close(raw)


class Store:
    """A database handle: :meth:`read` and :meth:`write` give transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect, self._target = _parse_url(url)
        if self.dialect == "sqlite":
            Path(self._target).parent.mkdir(parents=True, exist_ok=True)
            # The store holds audit events and key metadata: owner-only, like the keys.
            # SQLite gives its -wal and -shm files the database file's permissions.
            # Only a file that does not exist yet is opened here: closing any descriptor of
            # the database drops every POSIX lock this process holds on it (SQLite's locks),
            # and another process may then delete the WAL this process still reads from, so
            # later writes (a key revocation) are never seen here.
            try:
                os.close(os.open(self._target, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass
            except OSError as exc:
                raise ConfigError(
                    f"store: cannot use database {redact_url(url)}: {exc.strerror}"
                ) from None
        self._pool = _Pool(self._connect, self._close)
        self._engine: Engine | None = None

    def _connect(self) -> Any:
        if self.dialect == "sqlite":
            return _connect_sqlite(self._target)
        return _connect_postgres(self._target)

    def _close(self, raw: Any) -> None:
        with suppress(*self._driver_errors()):  # a broken connection cannot close any better
            raw.close()

    def _driver_errors(self) -> tuple[type[BaseException], ...]:
        if self.dialect == "sqlite":
            import sqlite3

            return (sqlite3.Error,)
        try:
            import psycopg
        except ImportError:
            return ()
        return (psycopg.Error,)

    def _begin(self, begin: str, errors: tuple[type[BaseException], ...]) -> Any:
        """A pooled connection in a new transaction."""
        raw, reused = self._pool.take()
        try:
            raw.execute(begin)
        except errors:
            self._close(raw)
            if not reused:
                raise
            # An idle connection the server dropped (restart, idle timeout): reconnect once.
            raw = self._connect()
            try:
                raw.execute(begin)
            except errors:
                self._close(raw)
                raise
        return raw

    @contextmanager
    def _transaction(
        self, begin: str, failure: str, lock_key: int | None = None
    ) -> Iterator[Connection]:
        where = f"{failure} {redact_url(self.url)}"
        errors = self._driver_errors()
        try:
            raw = self._begin(begin, errors)
        except errors as exc:
            raise StoreError(f"store: {where}: {exc}") from None
        conn = Connection(raw, self.dialect)
        try:
            if lock_key is not None and self.dialect == "postgresql":
                conn.execute("SELECT pg_advisory_xact_lock(?)", (lock_key,))
            yield conn
            raw.execute("COMMIT")
        except BaseException as exc:
            # Whatever failed, the connection's state is unknown: roll back and drop it.
            with suppress(*errors):  # it is closed next anyway
                raw.execute("ROLLBACK")
            self._close(raw)
            if isinstance(exc, errors):
                raise StoreError(f"store: {where}: {exc}") from None
            raise
        self._pool.give(raw)

    def read(self) -> AbstractContextManager[Connection]:
        """A read-only transaction that sees one consistent snapshot."""
        if self.dialect == "postgresql":
            begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
        else:
            begin = "BEGIN"
        return self._transaction(begin, "read failed on")

    def write(self, lock_key: int | None = None) -> AbstractContextManager[Connection]:
        """A write transaction that holds the database's write lock (SQLite) or the
        advisory lock ``lock_key`` (PostgreSQL) until commit, so read-then-write is safe."""
        begin = "BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN"
        return self._transaction(begin, "write failed on", lock_key)

    @property
    def engine(self) -> Engine:
        """A SQLAlchemy engine on the same database, for migrations and tools (loads
        SQLAlchemy; the CLI's own queries do not need it)."""
        if self._engine is None:
            self._engine = _make_engine(self.url, self.dialect, self._target)
        return self._engine

    def _current_revisions(self) -> set[str]:
        """The revisions recorded in the database (empty for a new database)."""
        if self.dialect == "sqlite":
            probe = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        else:
            probe = "SELECT 1 WHERE to_regclass('alembic_version') IS NOT NULL"
        with self._transaction("BEGIN", "cannot open or migrate") as conn:
            if conn.execute(probe).fetchone() is None:
                return set()
            return {
                r[0] for r in conn.execute("SELECT version_num FROM alembic_version").fetchall()
            }

    def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op when it is there already).

        SQLAlchemy and Alembic (slow to import, ~33 MB) are loaded only when a migration
        is actually due.
        """
        if self._current_revisions() == _head_revisions():
            return
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(aisec_write=True)
                with conn.begin():
                    if self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATE_LOCK})
                    current = set(MigrationContext.configure(conn).get_current_heads())
                    if current == _head_revisions():
                        return
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise StoreError(
                f"store: cannot open or migrate {redact_url(self.url)}: {exc}"
            ) from None

    def close(self) -> None:
        self._pool.close()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _make_engine(url: str, dialect: str, target: str) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import SQLAlchemyError

    try:
        if dialect == "postgresql":
            return create_engine(
                "postgresql+psycopg://" + url.partition("://")[2],
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=20,
            )
        engine = create_engine(f"sqlite:///{target}", connect_args={"timeout": 60})
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise ConfigError(f"store: cannot use database {redact_url(url)}: {exc}") from None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cur.execute(pragma)
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("aisec_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open the configured store and apply pending migrations."""
    store = Store(url or database_url())
    if migrate:
        store.migrate()
    return store
