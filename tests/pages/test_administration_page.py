"""User administration through the Administration page (AppTest on SQLite): add a user,
change their scope, deactivate them (then refused), keep the last administrator, refuse a
second account for an e-mail in French — and a refused form changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from ctg_core.common.models import ChangeLog, Role, User, UserTerritory
from tests.factories import CARENE

ROOT = Path(__file__).resolve().parents[2]


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def opened(user, page: str = "pages/administration.py") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = user.id
    at.switch_page(page)
    return no_exception(at.run())


def by_key_prefix(elements, prefix: str):
    [found] = [e for e in elements if (e.key or "").startswith(prefix)]
    return found


def button(at: AppTest, label: str):
    [found] = [b for b in at.button if b.label == label]
    return found


def fresh(world):
    """End the test's read transaction: SQLite (WAL) would keep reading an old snapshot."""
    world.session.rollback()
    return world.session


def user_count(world) -> int:
    return fresh(world).exec(select(func.count(User.id))).one()


def scope_of(world, user_id: int) -> set[int]:
    rows = fresh(world).exec(
        select(UserTerritory.territory_id).where(UserTerritory.user_id == user_id)
    )
    return set(rows)


def users_table(at: AppTest):
    """The users' table (unselectable tables carry no key in AppTest)."""
    [table] = [d.value for d in at.dataframe if "E-mail" in d.value.columns]
    return table


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


@pytest.fixture
def admin(app_world):
    return app_world.user(Role.admin, name="Alice Admin", demo=True)


@pytest.fixture
def officer(app_world):
    nantes = app_world.territory()
    return app_world.user(Role.coop_officer, name="Nadia Officier", territories=[nantes], demo=True)


def fill_new_user(at: AppTest, email: str, name: str, role: Role, territories=()) -> AppTest:
    form = "new-user-1-"
    by_key_prefix(at.text_input, form + "email").input(email)
    by_key_prefix(at.text_input, form + "name").input(name)
    by_key_prefix(at.selectbox, form + "role").set_value(role)
    by_key_prefix(at.multiselect, form + "territory_ids").set_value(list(territories))
    button(at, "Ajouter l'utilisateur").click()
    return no_exception(at.run())


def pick_user(at: AppTest, user_id: int) -> AppTest:
    at.selectbox(key="admin-user").set_value(user_id)
    return no_exception(at.run())


def test_the_administrator_adds_a_chargé_de_coopération_on_a_territory(app_world, admin):
    carene = app_world.territory(CARENE)
    at = fill_new_user(
        opened(admin), " Paul.Durand@CARENE.fr ", "Paul Durand", Role.coop_officer, [carene.id]
    )

    assert "Paul Durand peut maintenant se connecter." in [t.value for t in at.toast]
    row = fresh(app_world).exec(select(User).where(User.email == "paul.durand@carene.fr")).one()
    assert (row.name, row.role, row.is_active) == ("Paul Durand", Role.coop_officer, True)
    assert scope_of(app_world, row.id) == {carene.id}
    [entry] = fresh(app_world).exec(select(ChangeLog).where(ChangeLog.entity == "user")).all()
    assert (entry.operation, entry.user_name) == ("create", "Alice Admin")
    assert "Paul Durand" in list(users_table(at)["Nom"])


def test_a_second_account_for_an_e_mail_is_refused_in_french_and_nothing_changes(
    app_world, admin, officer
):
    before = user_count(app_world)
    nantes = app_world.territory()
    at = fill_new_user(
        opened(admin), officer.email.upper(), "Nadia Bis", Role.committee, [nantes.id]
    )

    assert f"{officer.email} est déjà l'adresse de Nadia Officier : un compte par personne." in (
        errors(at)
    )
    assert user_count(app_world) == before
    # The input stays in the form, to be corrected.
    assert by_key_prefix(at.text_input, "new-user-1-name").value == "Nadia Bis"


def test_a_territorial_role_without_territory_is_refused_and_nothing_changes(app_world, admin):
    before = user_count(app_world)
    at = fill_new_user(opened(admin), "elu@mairie.fr", "Élu Sans Territoire", Role.committee)

    assert "Choisissez au moins un territoire pour un membre de comité." in errors(at)
    assert user_count(app_world) == before
    assert by_key_prefix(at.text_input, "new-user-1-email").value == "elu@mairie.fr"


def test_the_administrator_moves_an_officer_to_another_territory(app_world, admin, officer):
    carene = app_world.territory(CARENE)
    at = pick_user(opened(admin), officer.id)
    by_key_prefix(at.multiselect, "edit-user-").set_value([carene.id])
    button(at, "Enregistrer les modifications").click()
    at = no_exception(at.run())

    assert "Modifications de Nadia Officier enregistrées." in [t.value for t in at.toast]
    assert scope_of(app_world, officer.id) == {carene.id}
    [entry] = (
        fresh(app_world)
        .exec(
            select(ChangeLog).where(ChangeLog.entity == "user", ChangeLog.entity_id == officer.id)
        )
        .all()
    )
    assert entry.changes == {
        "territories": [
            ["Nantes Métropole"],
            ["CA de la Région Nazairienne et de l'Estuaire (CARENE)"],
        ]
    }


def test_a_deactivated_officer_is_refused_at_their_next_page_and_at_sign_in(
    app_world, admin, officer
):
    officer_page = opened(officer, "pages/mes_actions.py")  # a page the officer has open
    assert officer_page.title[0].value == "Mes actions"

    at = pick_user(opened(admin), officer.id)
    button(at, "Désactiver le compte").click()
    at = no_exception(at.run())
    assert fresh(app_world).get(User, officer.id).is_active  # nothing before confirmation
    at.button(key=f"user-access-{officer.id}-confirm").click()
    at = no_exception(at.run())

    assert "Le compte de Nadia Officier est désactivé." in [t.value for t in at.toast]
    assert not fresh(app_world).get(User, officer.id, populate_existing=True).is_active
    # Their open page refuses them at its next run…
    officer_page = no_exception(officer_page.run())
    assert any("a été désactivé" in e for e in errors(officer_page))
    assert officer_page.title[0].value == "CTG Pilotage"
    assert not officer_page.dataframe
    # …and a new visit with that persona is refused too.
    again = opened(officer, "pages/mes_actions.py")
    assert any("désactivé" in e for e in errors(again))
    assert "Mes actions" not in [t.value for t in again.title]


def test_the_last_administrator_cannot_be_demoted(app_world, admin):
    at = pick_user(opened(admin), admin.id)
    by_key_prefix(at.selectbox, "edit-user-").set_value(Role.caf_manager)
    button(at, "Enregistrer les modifications").click()
    at = no_exception(at.run())

    assert (
        "Alice Admin est le dernier administrateur actif : nommez d'abord un autre "
        "administrateur." in errors(at)
    )
    stored = fresh(app_world).get(User, admin.id, populate_existing=True)
    assert (stored.role, stored.is_active, stored.version) == (Role.admin, True, 1)
    assert by_key_prefix(at.selectbox, "edit-user-").value is Role.caf_manager  # input kept


def test_the_administrator_cannot_deactivate_their_own_account(app_world, admin):
    at = pick_user(opened(admin), admin.id)
    button(at, "Désactiver le compte").click()
    at = no_exception(at.run())
    at.button(key=f"user-access-{admin.id}-confirm").click()
    at = no_exception(at.run())

    assert "- Vous ne pouvez pas désactiver votre propre compte\\." in [
        m.value for m in at.markdown
    ]
    assert fresh(app_world).get(User, admin.id, populate_existing=True).is_active


def test_a_deactivated_user_is_reactivated_with_their_scope(app_world, admin, officer):
    nantes = app_world.territory()
    row = app_world.session.get(User, officer.id)
    row.is_active = False
    app_world.session.add(row)
    app_world.session.commit()

    at = pick_user(opened(admin), officer.id)
    button(at, "Réactiver le compte").click()
    at = no_exception(at.run())
    at.button(key=f"user-access-{officer.id}-confirm").click()
    at = no_exception(at.run())

    assert fresh(app_world).get(User, officer.id, populate_existing=True).is_active
    assert scope_of(app_world, officer.id) == {nantes.id}
