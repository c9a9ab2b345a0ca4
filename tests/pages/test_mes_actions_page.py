"""The Mes actions page through AppTest: one save for every changed row, a confirmation that
lists the changes, a per-row report, refused and conflicting input kept in the table."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from ctg_core.common.models import Action, ActionStatus, ChangeLog, Role
from ctg_core.plan import commands as plan_commands
from tests.conftest import TODAY
from tests.factories import CARENE

ROOT = Path(__file__).resolve().parents[2]


def page(user) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = user.id
    at.switch_page("pages/mes_actions.py")
    return at.run()


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def edit(at: AppTest, rows: dict[int, dict]) -> AppTest:
    """Edit cells as a user would (row positions as shown), then rerun."""
    editor = at.data_editor[0]
    at.session_state[editor.key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return no_exception(at.run())


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    return no_exception(at.run())


def stored(world, code):
    world.session.rollback()
    return world.session.exec(
        select(Action).where(Action.code == code).execution_options(populate_existing=True)
    ).one()


@pytest.fixture
def officer(app_world):
    return app_world.user(
        Role.coop_officer, name="Nadia Officier", territories=[app_world.territory()], demo=True
    )


@pytest.fixture
def actions(app_world):
    convention = app_world.convention()
    w = app_world
    return [
        w.action(convention, "PE-01", progress=20, due_on=TODAY - timedelta(days=10)),
        w.action(convention, "PE-02", progress=20),
        w.action(convention, "PE-03", progress=20),
    ]


def test_the_table_shows_my_actions_with_only_the_quick_fields_open(app_world, officer, actions):
    app_world.action(app_world.convention(app_world.territory(CARENE)), "EJ-09")
    at = no_exception(page(officer))
    table = at.data_editor[0].value
    assert table["code"].tolist() == ["PE-01", "PE-02", "PE-03"]
    assert table["alert"].tolist() == ["⚠ En retard", "", ""]
    assert at.button(key="mes-actions-save").disabled


def test_a_batch_with_one_invalid_row_saves_the_valid_rows_and_reports_the_invalid_one(
    app_world, officer, actions
):
    at = page(officer)
    edit(
        at,
        {
            0: {"progress": 35, "last_comment": "Recrutement fait"},
            1: {"status": "realisee"},  # refused: a realised action is at 100 %
            2: {"vigilance": "Budget gelé"},
        },
    )
    assert at.button(key="mes-actions-save").label == "Enregistrer 3 modification(s)"

    click(at, "mes-actions-save")
    listed = at.dataframe[-1].value  # the confirmation lists every change before saving
    assert listed["Modification"].tolist() == [
        "Avancement : 20 % → 35 %",
        "Commentaire : — → Recrutement fait",
        "Statut : En cours → Réalisée",
        "Point de vigilance : — → Budget gelé",
    ]
    assert stored(app_world, "PE-01").version == 1  # nothing saved before confirming

    click(at, "mes-actions-batch-confirm")
    first, second, third = (stored(app_world, c) for c in ("PE-01", "PE-02", "PE-03"))
    assert (first.progress, first.last_comment, first.version) == (35, "Recrutement fait", 2)
    assert (second.status, second.version) == (ActionStatus.en_cours, 1)
    assert (third.vigilance, third.version) == ("Budget gelé", 2)

    report = at.dataframe[0].value
    assert report["Résultat"].tolist() == ["✓ Enregistrée", "✖ Refusée", "✓ Enregistrée"]
    assert report["Détail"][1] == "Une action réalisée est avancée à 100 %."
    assert "2 action(s) enregistrée(s), 1 non enregistrée(s)." in at.warning[0].value
    # The refused input stays in the (reloaded) table, flagged, ready to correct.
    table = at.data_editor[0].value
    assert table.loc[second.id, "status"] == "realisee"
    assert table.loc[second.id, "state"] == "✖ Refusée"
    assert table.loc[first.id, "progress"] == 35
    assert at.button(key="mes-actions-save").label == "Enregistrer 1 modification(s)"


def test_a_row_saved_meanwhile_by_someone_else_is_a_conflict_showing_their_values(
    app_world, officer, actions
):
    at = page(officer)
    colleague = app_world.user(
        Role.coop_officer, name="Yann Collègue", territories=[app_world.territory()]
    )
    plan_commands.update_action(app_world.session, colleague, actions[0].id, 1, {"progress": 50})
    edit(at, {0: {"progress": 70}, 1: {"progress": 25}})
    assert "Des actions ont été modifiées depuis l'ouverture du tableau" in at.info[-1].value
    click(at, "mes-actions-save")
    click(at, "mes-actions-batch-confirm")

    report = at.dataframe[0].value
    assert report["Résultat"].tolist() == ["⚠ Conflit", "✓ Enregistrée"]
    assert report["Détail"][0].startswith("Yann Collègue a enregistré le ")
    assert report["Détail"][0].endswith(" : Avancement = 50 %")
    assert stored(app_world, "PE-01").progress == 50
    assert stored(app_world, "PE-02").progress == 25
    table = at.data_editor[0].value
    assert table.loc[actions[0].id, "progress"] == 70  # my input, kept to re-apply
    assert table.loc[actions[0].id, "state"] == "⚠ Conflit"

    click(at, "mes-actions-save")
    click(at, "mes-actions-batch-confirm")  # re-applied on top of the version now shown
    assert stored(app_world, "PE-01").progress == 70
    log = app_world.session.exec(
        select(ChangeLog.operation, ChangeLog.user_name)
        .where(ChangeLog.entity_id == actions[0].id)
        .order_by(ChangeLog.id)
    ).all()
    assert [tuple(e) for e in log] == [
        ("update", "Yann Collègue"),
        ("conflict", "Nadia Officier"),
        ("update", "Nadia Officier"),
    ]


def test_cancelling_the_confirmation_saves_nothing(app_world, officer, actions):
    at = page(officer)
    edit(at, {0: {"progress": 90}})
    click(at, "mes-actions-save")
    click(at, "mes-actions-batch-cancel")
    assert stored(app_world, "PE-01").version == 1
    assert at.data_editor[0].value is not None
    assert not [b for b in at.button if b.key == "mes-actions-batch-confirm"]


def test_a_committee_member_has_nothing_to_update(app_world, actions):
    member = app_world.user(Role.committee, territories=[app_world.territory()], demo=True)
    at = no_exception(page(member))
    # Not a page of their role (common.auth.PAGE_ROLES): refused, with nothing of its content.
    assert "réservée aux personnes qui mettent à jour un plan d'actions" in at.warning[0].value
    assert not at.data_editor
