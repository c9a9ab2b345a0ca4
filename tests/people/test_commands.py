"""User administration in the core, on SQLite and PostgreSQL: add, change, deactivate,
reactivate — never delete; the last administrator kept; one account per e-mail; every
change in the history."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.auth import AccountDisabled
from ctg_core.common.errors import ConflictError, PermissionDenied, ValidationFailed
from ctg_core.common.history import history_lines
from ctg_core.common.models import ChangeLog, Role, User, UserTerritory
from ctg_core.people import commands as people
from ctg_core.plan import commands as plan_commands
from tests.factories import CARENE


@pytest.fixture
def admin(world):
    return world.user(Role.admin, name="Alice Admin")


@pytest.fixture
def nantes(world):
    return world.territory()


@pytest.fixture
def carene(world):
    return world.territory(CARENE)


def stored(session, user_id: int) -> User:
    return session.get(User, user_id, populate_existing=True)


def scope(session, user_id: int) -> set[int]:
    rows = session.exec(select(UserTerritory.territory_id).where(UserTerritory.user_id == user_id))
    return set(rows)


def user_entries(session, user_id: int) -> list[ChangeLog]:
    return list(
        session.exec(
            select(ChangeLog)
            .where(ChangeLog.entity == "user", ChangeLog.entity_id == user_id)
            .order_by(ChangeLog.id)
        )
    )


def officer_data(nantes, **fields):
    return {
        "email": "Paul.Durand@Nantesmetropole.fr",
        "name": "Paul Durand",
        "role": "coop_officer",
        "territory_ids": [nantes.id],
        **fields,
    }


# --- add --------------------------------------------------------------------------------------


def test_an_added_user_is_active_with_their_scope_and_the_history_says_so(session, admin, nantes):
    row = people.add_user(session, admin, officer_data(nantes))

    saved = stored(session, row.id)
    assert (saved.email, saved.name, saved.role, saved.is_active) == (
        "paul.durand@nantesmetropole.fr",
        "Paul Durand",
        Role.coop_officer,
        True,
    )
    assert scope(session, row.id) == {nantes.id}
    [line] = history_lines(session, "user", row.id)
    assert (line.user_name, line.operation_label) == ("Alice Admin", "Création")
    assert line.summary == (
        "E-mail : — → paul.durand@nantesmetropole.fr ; Nom : — → Paul Durand ; "
        "Rôle : — → Chargé de coopération ; Territoires : — → Nantes Métropole"
    )


def test_an_e_mail_already_used_is_refused_in_french_whatever_its_case(session, admin, nantes):
    people.add_user(session, admin, officer_data(nantes))

    with pytest.raises(ValidationFailed) as refused:
        people.add_user(
            session, admin, officer_data(nantes, email="PAUL.DURAND@nantesmetropole.fr ")
        )

    assert refused.value.errors == {
        "email": "paul.durand@nantesmetropole.fr est déjà l'adresse de Paul Durand : un "
        "compte par personne."
    }
    assert len(session.exec(select(User)).all()) == 2


def test_the_address_of_a_deactivated_account_points_to_its_reactivation(
    session, world, admin, nantes
):
    old = world.user(Role.coop_officer, name="Ancien Officier", territories=[nantes])
    people.deactivate_user(session, admin, old.id, 1)

    with pytest.raises(ValidationFailed, match="réactivez-le plutôt"):
        people.add_user(session, admin, officer_data(nantes, email=old.email))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "paul.durand"}, "email", "L'adresse e-mail n'est pas valide"),
        ({"name": "  "}, "name", "Nom ne peut pas être vide."),
        ({"role": "superadmin"}, "role", "Rôle n'est pas une valeur permise."),
        ({"territory_ids": []}, "territory_ids", "au moins un territoire pour un chargé"),
        ({"territory_ids": [999_999]}, "territory_ids", "Territoire inconnu (n° 999999)."),
    ],
)
def test_a_refused_new_user_changes_nothing(session, admin, nantes, fields, field, message):
    with pytest.raises(ValidationFailed) as refused:
        people.add_user(session, admin, officer_data(nantes, **fields))

    assert message in refused.value.errors[field]
    assert [u.name for u in session.exec(select(User))] == ["Alice Admin"]
    assert session.exec(select(ChangeLog)).all() == []


def test_a_caf_role_keeps_no_territory(session, admin, nantes):
    row = people.add_user(
        session, admin, officer_data(nantes, role="caf_advisor", email="ctt@caf44.fr")
    )

    assert scope(session, row.id) == set()


# --- change -----------------------------------------------------------------------------------


def test_changing_the_scope_applies_at_the_next_action(session, world, admin, nantes, carene):
    officer = world.user(Role.coop_officer, name="Nadia", territories=[nantes])
    action = world.action(world.convention(nantes))

    people.change_user(session, admin, officer.id, 1, {"territory_ids": [carene.id]})

    assert scope(session, officer.id) == {carene.id}
    # The page the officer opened an hour ago still says Nantes: the command re-reads them.
    with pytest.raises(PermissionDenied):
        plan_commands.update_action(session, officer, action.id, 1, {"progress": 60})
    [entry] = user_entries(session, officer.id)
    assert entry.changes == {
        "territories": [
            ["Nantes Métropole"],
            ["CA de la Région Nazairienne et de l'Estuaire (CARENE)"],
        ]
    }
    assert stored(session, officer.id).version == 2


def test_a_user_who_becomes_a_caf_advisor_loses_their_territories(session, world, admin, nantes):
    officer = world.user(Role.coop_officer, territories=[nantes])

    people.change_user(session, admin, officer.id, 1, {"role": "caf_advisor"})

    assert (stored(session, officer.id).role, scope(session, officer.id)) == (
        Role.caf_advisor,
        set(),
    )
    [entry] = user_entries(session, officer.id)
    assert entry.changes == {
        "role": ["coop_officer", "caf_advisor"],
        "territories": [["Nantes Métropole"], []],
    }


def test_a_change_from_an_old_version_is_a_conflict(session, world, admin, nantes, carene):
    officer = world.user(Role.coop_officer, name="Nadia", territories=[nantes])
    people.change_user(session, admin, officer.id, 1, {"name": "Nadia Martin"})

    with pytest.raises(ConflictError):
        people.change_user(session, admin, officer.id, 1, {"territory_ids": [carene.id]})

    assert scope(session, officer.id) == {nantes.id}
    assert stored(session, officer.id).name == "Nadia Martin"


def test_an_unchanged_form_writes_nothing(session, world, admin, nantes):
    officer = world.user(Role.coop_officer, name="Nadia", territories=[nantes])

    people.change_user(
        session, admin, officer.id, 1, {"name": "Nadia", "territory_ids": [nantes.id]}
    )

    assert stored(session, officer.id).version == 1
    assert user_entries(session, officer.id) == []


# --- the last administrator ---------------------------------------------------------------------


def test_the_last_active_administrator_cannot_be_demoted(session, admin):
    with pytest.raises(ValidationFailed) as refused:
        people.change_user(session, admin, admin.id, 1, {"role": "caf_manager"})

    assert refused.value.errors == {
        "role": "Alice Admin est le dernier administrateur actif : nommez d'abord un autre "
        "administrateur."
    }
    assert stored(session, admin.id).role is Role.admin


def test_an_administrator_is_deactivated_while_another_remains(session, world, admin):
    other = world.user(Role.admin, name="Bruno Admin")

    people.deactivate_user(session, admin, other.id, 1)

    assert not stored(session, other.id).is_active
    # Alice is now the last one: nobody can remove her, not even herself.
    with pytest.raises(ValidationFailed, match="propre compte"):
        people.deactivate_user(session, admin, admin.id, 1)
    with pytest.raises(ValidationFailed, match="dernier administrateur actif"):
        people.change_user(session, admin, admin.id, 1, {"role": "committee"})


def test_two_administrators_demoting_each_other_at_once_leave_one(engine, world):
    """Each sees two admins; the active admins are read FOR UPDATE (PostgreSQL) or the write
    transactions are serialised (SQLite): the second demotion sees the first and is refused
    (its author is no longer an administrator, or its target is the last one)."""
    alice = world.user(Role.admin, name="Alice")
    bruno = world.user(Role.admin, name="Bruno")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor, target) -> None:
        barrier.wait()
        try:
            with db.session(write=True, engine=engine) as session:
                people.change_user(session, actor, target.id, 1, {"role": "caf_manager"})
            outcomes.append("saved")
        except (ValidationFailed, PermissionDenied):
            outcomes.append("refused")

    threads = [
        threading.Thread(target=demote, args=(alice, bruno)),
        threading.Thread(target=demote, args=(bruno, alice)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["refused", "saved"]
    with Session(engine) as check:
        admins = check.exec(select(User).where(User.role == Role.admin, User.is_active)).all()
    assert len(admins) == 1


# --- deactivate and reactivate ------------------------------------------------------------------


def test_a_deactivated_user_is_kept_and_refused_at_their_next_action(session, world, admin, nantes):
    officer = world.user(Role.coop_officer, name="Nadia", territories=[nantes])
    action = world.action(world.convention(nantes))

    people.deactivate_user(session, admin, officer.id, 1)

    assert stored(session, officer.id) is not None  # never deleted
    with pytest.raises(AccountDisabled):
        plan_commands.update_action(session, officer, action.id, 1, {"progress": 60})
    [entry] = user_entries(session, officer.id)
    assert (entry.operation, entry.changes) == ("deactivate", {"is_active": [True, False]})


def test_a_reactivated_user_keeps_their_role_and_scope(session, world, admin, nantes):
    officer = world.user(Role.coop_officer, territories=[nantes])
    people.deactivate_user(session, admin, officer.id, 1)

    people.reactivate_user(session, admin, officer.id, 2)

    saved = stored(session, officer.id)
    assert (saved.is_active, saved.role, saved.version) == (True, Role.coop_officer, 3)
    assert scope(session, officer.id) == {nantes.id}
    assert [e.operation for e in user_entries(session, officer.id)] == [
        "deactivate",
        "reactivate",
    ]


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.admin])
def test_only_the_administrator_manages_users(session, world, nantes, role):
    actor = world.user(role, territories=[nantes])

    with pytest.raises(PermissionDenied, match="gérer les utilisateurs"):
        people.add_user(session, actor, officer_data(nantes))
    with pytest.raises(PermissionDenied):
        people.deactivate_user(session, actor, actor.id, 1)
