"""The first administrator of a new installation, from the command line, on an empty SQLite
and an empty PostgreSQL database: `python -m ctg_core.setup users add --admin EMAIL NAME`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import ChangeLog, Role, User
from ctg_core.setup.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_first_admin_is_created_on_an_empty_database(empty_database_url, monkeypatch, capsys):
    monkeypatch.setenv("CTG_DATABASE_URL", empty_database_url)

    code = main(["users", "add", "--admin", "Claire.Martin@Caf44.fr", "Claire Martin"])

    assert code == 0
    assert capsys.readouterr().out == (
        "Administrateur créé : Claire Martin <claire.martin@caf44.fr>. Il peut se connecter.\n"
    )
    with Session(db.engine_for(empty_database_url)) as session:
        [user] = session.exec(select(User)).all()
        [entry] = session.exec(select(ChangeLog)).all()
    assert (user.email, user.role, user.is_active, user.is_demo) == (
        "claire.martin@caf44.fr",
        Role.admin,
        True,
        False,
    )
    assert (entry.entity, entry.operation, entry.user_name) == (
        "user",
        "create",
        "Installation (ligne de commande)",
    )


def test_a_second_admin_from_the_command_line_is_refused_in_french(
    empty_database_url, monkeypatch, capsys
):
    monkeypatch.setenv("CTG_DATABASE_URL", empty_database_url)
    main(["users", "add", "--admin", "claire.martin@caf44.fr", "Claire Martin"])
    capsys.readouterr()

    code = main(["users", "add", "--admin", "paul@caf44.fr", "Paul"])

    assert code == 1
    assert capsys.readouterr().err == (
        "Refusé : Claire Martin (claire.martin@caf44.fr) est déjà administrateur : ajoutez les "
        "autres utilisateurs depuis la page Administration.\n"
    )
    with Session(db.engine_for(empty_database_url)) as session:
        assert len(session.exec(select(User)).all()) == 1


def test_an_invalid_e_mail_is_refused_and_nothing_is_created(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'ctg.db'}"
    monkeypatch.setenv("CTG_DATABASE_URL", url)

    assert main(["users", "add", "--admin", "claire.martin", "Claire Martin"]) == 1

    assert "L'adresse e-mail n'est pas valide" in capsys.readouterr().err
    with Session(db.engine_for(url)) as session:
        assert session.exec(select(User)).all() == []


def test_the_command_runs_as_a_module_and_lists_the_users(tmp_path):
    env = {**os.environ, "CTG_DATABASE_URL": f"sqlite:///{tmp_path / 'ctg.db'}"}
    command = [sys.executable, "-m", "ctg_core.setup", "users"]

    added = subprocess.run(
        [*command, "add", "--admin", "claire@caf44.fr", "Claire Martin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    listed = subprocess.run(
        [*command, "list"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    assert added.returncode == 0, added.stderr
    assert listed.stdout == "claire@caf44.fr\tClaire Martin\tAdministrateur\n"
