"""Fixtures: real databases (SQLite file and PostgreSQL), small worlds built by factories.

Every persistence test runs twice, on SQLite and on the PostgreSQL at 127.0.0.1:5432. Each
test session creates a PostgreSQL database of its own (and drops it), so runs never see
each other's rows. Under CI=true an unreachable PostgreSQL fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import psycopg
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from ctg_core.common import db
from ctg_core.reference.funding_rules import load_funding_rules
from ctg_core.reference.territories import load_territories
from ctg_core.setup import bootstrap
from tests.factories import World
from ui.convention_picker import forget_refs
from ui.funding_book import forget_books
from ui.overview_rows import forget_rows

PG_ADMIN_DSN = os.environ.get("CTG_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REFERENCE_TABLES = {"territories", "axes", "funding_rules", "alembic_version"}
TODAY = date(2026, 11, 25)


def _pg_unavailable_reason() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL injoignable ({PG_ADMIN_DSN}) : {exc}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    reason = _pg_unavailable_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " — PostgreSQL est obligatoire en CI.")
        pytest.skip(reason)
    with scratch_postgres("ctg_test") as url:
        yield url


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own, created on entry and dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{base}/{name}"
    try:
        yield url
    finally:
        db.engine_for(url).dispose()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A brand-new empty database of each kind (for migration round trips)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("postgres_url")  # fails under CI when PostgreSQL is unreachable
    with scratch_postgres("ctg_empty") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'ctg.db'}"


def _migrated(url: str) -> str:
    bootstrap.upgrade(url)
    with Session(db.engine_for(url)) as session:
        load_territories(session, "44")
        load_funding_rules(session)
    return url


@pytest.fixture(scope="session")
def migrated_sqlite(sqlite_url: str) -> str:
    return _migrated(sqlite_url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Both databases, migrated to head with the real territories of Loire-Atlantique."""
    if request.param == "sqlite":
        return request.getfixturevalue("migrated_sqlite")
    return _migrated_once(request.getfixturevalue("postgres_url"))


_MIGRATED: set[str] = set()


def _migrated_once(url: str) -> str:
    if url not in _MIGRATED:
        _migrated(url)
        _MIGRATED.add(url)
    return url


def _wipe(engine: Engine) -> None:
    """Delete every non-reference row, children first, so each test starts clean."""
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())
        axes = SQLModel.metadata.tables["axes"]
        conn.execute(axes.delete().where(axes.c.id > 7))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.engine_for(database_url)
    yield engine
    _wipe(engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def world(session: Session) -> World:
    """Factories bound to the test's session."""
    return World(session)


@pytest.fixture
def app_database(migrated_sqlite: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The SQLite database the Streamlit pages see during an AppTest."""
    monkeypatch.setenv("CTG_DATABASE_URL", migrated_sqlite)
    monkeypatch.setenv("CTG_TODAY", TODAY.isoformat())  # the pages' clock (config.today)
    # The pages cache what they read per state of the data; a test rewinds the database to
    # empty (ids start again, no history line), which a server never sees: start afresh.
    forget_rows()
    forget_books()
    forget_refs()
    yield migrated_sqlite
    _wipe(db.engine_for(migrated_sqlite))


@pytest.fixture
def app_world(app_database: str) -> Iterator[World]:
    with Session(db.engine_for(app_database), expire_on_commit=False) as s:
        yield World(s)
