"""Backups of the SQLite database, taken while the app writes, and their restore.

A backup is made with SQLite's online backup API in one step: it copies the database as it
stood when the copy began (one read transaction; in WAL mode writers are not blocked), so it
holds every transaction committed before that moment and none half-written. A file copy
would not: the WAL file holds recent commits, and a copy taken mid-write can be corrupt.

A restore checks that the file is a sound backup of this application, keeps a backup of
the current database beside it, then writes the backup into the live database through the
same API (under SQLite's lock: the app's open connections see the restored data at their
next transaction).

PostgreSQL is saved and restored with its own tools, `pg_dump` and `pg_restore` (README).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from ctg_core.common import config
from ctg_core.common.errors import CtgError

BACKUP_DIR = config.DATA_DIR / "sauvegardes"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30
REQUIRED_TABLES = frozenset({"alembic_version", "conventions", "actions", "change_log"})


class BackupRefused(CtgError):
    pass


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    revision: str  # the schema's Alembic revision
    conventions: int
    actions: int


def sqlite_file(database_url: str) -> Path:
    """The file of a SQLite database URL; refuses any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupRefused(
            "Cette commande sauvegarde une base SQLite. Pour PostgreSQL, utilisez "
            "« pg_dump --format=custom » et « pg_restore » (voir le README, section "
            "Sauvegardes)."
        )
    return Path(url.database)


def default_destination(now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(config.PARIS)).strftime("%Y%m%d-%H%M%S")
    return BACKUP_DIR / f"ctg-{stamp}.db"


def backup(database_url: str, destination: Path | None = None) -> BackupInfo:
    """Copy the live database to `destination` (a new file) and check the copy."""
    source = sqlite_file(database_url)
    if not source.exists():
        raise BackupRefused(f"La base {source} n'existe pas : rien à sauvegarder.")
    destination = destination or default_destination()
    if destination.exists():
        raise BackupRefused(f"{destination} existe déjà : une sauvegarde n'en écrase jamais une.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partiel")
    partial.unlink(missing_ok=True)
    with _connect(source) as live, _connect(partial) as copy:
        live.backup(copy)  # pages=-1: the whole database in one step, one snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    info = inspect(partial)
    os.replace(partial, destination)
    return BackupInfo(destination, info.size, info.revision, info.conventions, info.actions)


def restore(backup_file: Path, database_url: str) -> BackupInfo:
    """Replace the live database's content with `backup_file`'s; the current content is
    first saved beside the database (`…-avant-restauration-AAAAMMJJ-HHMMSS.db`)."""
    target = sqlite_file(database_url)
    checked = inspect(backup_file)
    if target.exists():
        stamp = datetime.now(config.PARIS).strftime("%Y%m%d-%H%M%S")
        backup(database_url, target.with_name(f"{target.stem}-avant-restauration-{stamp}.db"))
    with _connect(backup_file) as source, _connect(target) as live:
        source.backup(live)
    return BackupInfo(target, checked.size, checked.revision, checked.conventions, checked.actions)


def inspect(path: Path) -> BackupInfo:
    """What a backup file holds, after checking it is a sound database of this application."""
    if not path.is_file():
        raise BackupRefused(f"{path} est introuvable.")
    with path.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupRefused(f"{path} n'est pas une base SQLite : restauration refusée.")
    with _connect(path) as db:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupRefused(f"{path} est endommagée (contrôle d'intégrité en échec).")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if not tables >= REQUIRED_TABLES:
            raise BackupRefused(f"{path} n'est pas une sauvegarde de CTG Pilotage.")
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
        conventions = db.execute("SELECT count(*) FROM conventions").fetchone()[0]
        actions = db.execute("SELECT count(*) FROM actions").fetchone()[0]
    revision_num = revision[0] if revision else ""
    return BackupInfo(path, path.stat().st_size, revision_num, conventions, actions)


@contextlib.contextmanager
def _connect(path: Path):  # type: ignore[no-untyped-def]
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        yield connection
    finally:
        connection.close()
