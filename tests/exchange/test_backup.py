"""Backups of the SQLite database taken while the app writes, and their restore."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import Action, Axis, Convention, Territory, TerritoryKind
from ctg_core.exchange.backup import BackupRefused, backup, inspect, restore
from ctg_core.setup import bootstrap
from tests.streamlit_server import ROOT

WAIT_S = 120


@pytest.fixture
def live(tmp_path) -> tuple[str, int]:
    """A migrated SQLite database with one convention, and that convention's id."""
    url = f"sqlite:///{tmp_path / 'ctg.db'}"
    bootstrap.upgrade(url)
    with Session(db.engine_for(url)) as session:
        territory = Territory(
            kind=TerritoryKind.epci, code="244400404", name="Nantes Métropole", departement="44"
        )
        session.add(territory)
        session.flush()
        convention = Convention(territory_id=territory.id, title="CTG Nantes Métropole")
        session.add(convention)
        session.commit()
        yield url, convention.id
    db.engine_for(url).dispose()


def codes(url: str) -> set[str]:
    with Session(db.engine_for(url)) as session:
        return set(session.exec(select(Action.code)))


class Writer(threading.Thread):
    """Adds fiches one transaction at a time, noting each code once its commit returned."""

    def __init__(self, url: str, convention_id: int) -> None:
        super().__init__(daemon=True)
        self.url, self.convention_id = url, convention_id
        self.committed: list[str] = []
        self.stop = threading.Event()
        self.progress = threading.Condition()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            engine = db.engine_for(self.url)
            with Session(engine) as session:
                axis_id = session.exec(select(Axis.id)).first()
            number = 0
            while not self.stop.is_set():
                number += 1
                code = f"PE-{number:04d}"
                with db.session(write=True, engine=engine) as session:
                    session.add(
                        Action(
                            convention_id=self.convention_id,
                            axis_id=axis_id,
                            code=code,
                            title=f"Action {number} " + "x" * 500,
                        )
                    )
                    session.commit()
                with self.progress:
                    self.committed.append(code)
                    self.progress.notify_all()
        except BaseException as error:  # reported by the test
            self.error = error
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(
                lambda: len(self.committed) >= count or self.error is not None, timeout=WAIT_S
            ), f"only {len(self.committed)} commits"
        assert self.error is None, self.error


def test_a_backup_taken_while_another_thread_writes_holds_every_row_committed_before_it(
    live, tmp_path
):
    url, convention_id = live
    writer = Writer(url, convention_id)
    writer.start()
    try:
        writer.wait_for(40)
        with writer.progress:
            committed_before = set(writer.committed)
        info = backup(url, tmp_path / "sauvegarde.db")
        writer.wait_for(len(committed_before) + 40)  # the app went on writing
    finally:
        writer.stop.set()
        writer.join(WAIT_S)
    assert writer.error is None
    everything = set(writer.committed)

    restore(info.path, url)

    restored = codes(url)  # read through the app's engine and its open connections
    assert committed_before <= restored
    assert restored <= everything and len(restored) < len(everything)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_restore_keeps_the_state_it_replaces_beside_the_database(live, tmp_path):
    url, convention_id = live
    saved = backup(url, tmp_path / "vide.db")
    with Session(db.engine_for(url)) as session:
        axis_id = session.exec(select(Axis.id)).first()
        session.add(Action(convention_id=convention_id, axis_id=axis_id, code="PE-01", title="A"))
        session.commit()

    restore(saved.path, url)

    assert codes(url) == set()
    (previous,) = tmp_path.glob("ctg-avant-restauration-*.db")
    assert inspect(previous).actions == 1


def test_a_backup_never_overwrites_a_file(live, tmp_path):
    url, _ = live
    target = tmp_path / "sauvegarde.db"
    backup(url, target)

    with pytest.raises(BackupRefused, match="existe déjà"):
        backup(url, target)


def test_a_file_that_is_not_a_backup_of_the_app_is_not_restored(live, tmp_path):
    url, _ = live
    other = tmp_path / "autre.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (texte TEXT)")
    text = tmp_path / "plan.csv"
    text.write_text("Axe;Code\n")

    with pytest.raises(BackupRefused, match="n'est pas une sauvegarde de CTG Pilotage"):
        restore(other, url)
    with pytest.raises(BackupRefused, match="n'est pas une base SQLite"):
        restore(text, url)
    assert inspect(Path(url.removeprefix("sqlite:///"))).conventions == 1


def test_postgresql_is_saved_with_pg_dump_not_with_this_command(tmp_path):
    with pytest.raises(BackupRefused, match="pg_dump"):
        backup("postgresql+psycopg://postgres@127.0.0.1:5432/ctg", tmp_path / "x.db")


def test_the_command_line_backs_up_and_restores(live, tmp_path):
    url, _ = live
    target = tmp_path / "ligne-de-commande.db"
    environment = {"CTG_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}

    saved = subprocess.run(
        [sys.executable, "-m", "ctg_core.exchange", "backup", str(target)],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    restored = subprocess.run(
        [sys.executable, "-m", "ctg_core.exchange", "restore", str(target), "--oui"],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert saved.returncode == 0, saved.stderr
    assert f"Sauvegarde écrite : {target}" in saved.stdout
    assert "1 conventions, 0 actions" in saved.stdout
    assert restored.returncode == 0, restored.stderr
    assert "Base restaurée" in restored.stdout
