"""Engine built from configuration, sessions, and the SQLite pragmas that make it safe.

SQLite runs in WAL mode with a busy timeout and foreign keys on. Write sessions on SQLite
open their transaction with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then
writes can fail at once with "database is locked" when another writer committed in between
(WAL snapshot), whereas an immediate one waits its turn for the write lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from ctg_core.common import config

SQLITE_BUSY_TIMEOUT_MS = 30_000


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per database URL and process."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        _install_sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine() -> Engine:
    """The engine of the configured database (`CTG_DATABASE_URL`)."""
    return engine_for(config.database_url())


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def session(*, write: bool = False, engine: Engine | None = None) -> Iterator[Session]:
    """A session on the configured database.

    Use ``write=True`` around service calls (verbs): on SQLite the transaction then takes
    the write lock at its start and waits for it instead of failing.
    """
    bound = engine or get_engine()
    if write and bound.dialect.name == "sqlite":
        bound = bound.execution_options(sqlite_begin="IMMEDIATE")
    with Session(bound, expire_on_commit=False) as s:
        yield s
