"""The Mes actions page through AppTest: one save for every changed row, a confirmation that
lists the changes, a per-row report, refused and conflicting input kept in the table."""

from __future__ import annotations

import pickle
from datetime import timedelta
from pathlib import Path

import pandas as pd
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


def test_the_editable_columns_come_right_after_the_code(app_world, officer, actions):
    # At 1366 px the columns after the first five are off-screen: the ones to edit go first.
    at = no_exception(page(officer))
    shown = at.data_editor[0].proto.column_order
    assert list(shown[:5]) == ["code", "status", "progress", "last_comment", "vigilance"]


def test_progress_typed_the_french_way_is_read_by_the_core_not_clamped(app_world, officer, actions):
    # Defect 10: « 42,5 » was read as 425 by the grid and saved as 100 %.
    at = page(officer)
    edit(at, {0: {"progress": "42,5"}})
    click(at, "mes-actions-save")
    listed = at.dataframe[-1].value
    assert listed["Modification"].tolist() == ["Avancement : 20 % → 42,5"]

    click(at, "mes-actions-batch-confirm")
    assert stored(app_world, "PE-01").progress == 20
    report = at.dataframe[0].value
    assert report["Résultat"].tolist() == ["✖ Refusée"]
    assert report["Détail"][0] == (
        "L'avancement est un nombre entier, sans décimale (par exemple 40 %)."
    )
    assert at.data_editor[0].value.loc[actions[0].id, "progress"] == "42,5"  # kept to correct


def test_progress_over_100_is_refused_with_a_french_sentence(app_world, officer, actions):
    at = page(officer)
    edit(at, {0: {"progress": "150"}})
    click(at, "mes-actions-save")
    click(at, "mes-actions-batch-confirm")
    assert stored(app_world, "PE-01").progress == 20
    assert at.dataframe[0].value["Détail"][0] == "L'avancement va de 0 à 100 %."


def test_progress_typed_with_a_percent_sign_is_saved(app_world, officer, actions):
    at = page(officer)
    edit(at, {1: {"progress": "42 %"}})
    click(at, "mes-actions-save")
    assert at.dataframe[-1].value["Modification"].tolist() == ["Avancement : 20 % → 42 %"]
    click(at, "mes-actions-batch-confirm")
    assert stored(app_world, "PE-02").progress == 42
    assert at.dataframe[0].value["Résultat"].tolist() == ["✓ Enregistrée"]


def test_the_table_opens_on_one_page_of_rows_and_pages_through_the_rest(app_world, officer):
    convention = app_world.convention()
    for n in range(1, 56):
        app_world.action(convention, f"PE-{n:02d}")
    at = no_exception(page(officer))
    assert len(at.data_editor[0].value) == 50
    assert "Actions 1 à 50 sur 55" in at.caption[-1].value
    assert at.button(key="mes-actions-previous").disabled

    click(at, "mes-actions-next")
    assert at.data_editor[0].value["code"].tolist() == [f"PE-{n}" for n in range(51, 56)]
    assert at.button(key="mes-actions-next").disabled

    at.selectbox(key="mes-actions-status").set_value(ActionStatus.en_cours)  # back to page 1
    assert "Actions 1 à 50 sur 55" in no_exception(at.run()).caption[-1].value


def test_input_on_two_pages_is_saved_in_one_batch(app_world, officer):
    convention = app_world.convention()
    for n in range(1, 56):
        app_world.action(convention, f"PE-{n:02d}")
    at = page(officer)
    edit(at, {0: {"last_comment": "Première page"}})
    click(at, "mes-actions-next")
    edit(at, {4: {"last_comment": "Seconde page"}})
    assert at.button(key="mes-actions-save").label == "Enregistrer 2 modification(s)"

    click(at, "mes-actions-save")
    click(at, "mes-actions-batch-confirm")
    assert stored(app_world, "PE-01").last_comment == "Première page"
    assert stored(app_world, "PE-55").last_comment == "Seconde page"


def test_filters_narrow_the_table_to_an_axis_a_status_or_late_actions(app_world, officer):
    convention = app_world.convention()
    app_world.action(convention, "PE-01", due_on=TODAY - timedelta(days=1))
    app_world.action(convention, "PE-02", status=ActionStatus.a_venir, progress=0)
    app_world.action(convention, "EJ-01")
    at = no_exception(page(officer))

    at.selectbox(key="mes-actions-axis").set_value(app_world.axis("EJ").id)
    assert no_exception(at.run()).data_editor[0].value["code"].tolist() == ["EJ-01"]
    at.selectbox(key="mes-actions-axis").set_value(0)
    at.selectbox(key="mes-actions-status").set_value(ActionStatus.a_venir)
    assert no_exception(at.run()).data_editor[0].value["code"].tolist() == ["PE-02"]
    at.selectbox(key="mes-actions-status").set_value(0)
    at.toggle(key="mes-actions-late").set_value(True)
    assert no_exception(at.run()).data_editor[0].value["code"].tolist() == ["PE-01"]


def test_the_convention_filter_shows_one_convention_of_the_user(app_world):
    nantes, carene = app_world.territory(), app_world.territory(CARENE)
    officer = app_world.user(Role.coop_officer, territories=[nantes, carene], demo=True)
    app_world.action(app_world.convention(nantes), "PE-01")
    other = app_world.convention(carene)
    app_world.action(other, "EJ-09")
    at = no_exception(page(officer))
    assert len(at.data_editor[0].value) == 2

    at.selectbox(key=f"mes-actions-convention-{officer.id}").set_value(other.id)
    assert no_exception(at.run()).data_editor[0].value["code"].tolist() == ["EJ-09"]


def test_the_session_keeps_the_input_not_the_table(app_world, officer, actions):
    at = page(officer)
    edit(at, {0: {"last_comment": "Recrutement fait"}, 2: {"progress": "60"}})
    kept = at.session_state["mes-actions-edits"]
    assert {i: e.values for i, e in kept.items()} == {
        actions[0].id: {"last_comment": "Recrutement fait"},
        actions[2].id: {"progress": "60"},
    }
    state = at.session_state.to_dict()
    assert not [k for k, v in state.items() if isinstance(v, pd.DataFrame)]
    assert len(pickle.dumps(state)) < 10_000  # bytes: input and filters, whatever the table


def test_a_colleagues_save_shows_on_the_next_rerun_beside_my_input(app_world, officer, actions):
    at = page(officer)
    edit(at, {1: {"last_comment": "Mon commentaire"}})
    colleague = app_world.user(Role.coop_officer, territories=[app_world.territory()])
    plan_commands.update_action(app_world.session, colleague, actions[0].id, 1, {"progress": 50})

    table = no_exception(at.run()).data_editor[0].value
    assert table.loc[actions[0].id, "progress"] == "50"
    assert table.loc[actions[1].id, "last_comment"] == "Mon commentaire"
    assert at.button(key="mes-actions-save").label == "Enregistrer 1 modification(s)"


def test_a_batch_with_one_invalid_row_saves_the_valid_rows_and_reports_the_invalid_one(
    app_world, officer, actions
):
    at = page(officer)
    edit(
        at,
        {
            0: {"progress": "35", "last_comment": "Recrutement fait"},
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
    assert table.loc[first.id, "progress"] == "35"
    assert at.button(key="mes-actions-save").label == "Enregistrer 1 modification(s)"


def test_a_row_saved_meanwhile_by_someone_else_is_a_conflict_showing_their_values(
    app_world, officer, actions
):
    at = page(officer)
    colleague = app_world.user(
        Role.coop_officer, name="Yann Collègue", territories=[app_world.territory()]
    )
    plan_commands.update_action(app_world.session, colleague, actions[0].id, 1, {"progress": 50})
    edit(at, {0: {"progress": "70"}, 1: {"progress": "25"}})
    assert "1 action(s) que vous modifiez ont été enregistrées entre-temps" in at.info[-1].value
    click(at, "mes-actions-save")
    click(at, "mes-actions-batch-confirm")

    report = at.dataframe[0].value
    assert report["Résultat"].tolist() == ["⚠ Conflit", "✓ Enregistrée"]
    assert report["Détail"][0].startswith("Yann Collègue a enregistré le ")
    assert report["Détail"][0].endswith(" : Avancement = 50 %")
    assert stored(app_world, "PE-01").progress == 50
    assert stored(app_world, "PE-02").progress == 25
    table = at.data_editor[0].value
    assert table.loc[actions[0].id, "progress"] == "70"  # my input, kept to re-apply
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
    edit(at, {0: {"progress": "90"}})
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


def test_a_convention_created_meanwhile_appears_in_the_cached_list_on_the_next_run(app_world):
    nantes, carene = app_world.territory(), app_world.territory(CARENE)
    officer = app_world.user(Role.coop_officer, territories=[nantes, carene], demo=True)
    app_world.action(app_world.convention(nantes), "PE-01")
    at = no_exception(page(officer))
    assert not [s for s in at.selectbox if s.label == "Convention"]  # one convention: no list

    app_world.action(app_world.convention(carene), "EJ-09")  # written by another process
    at = no_exception(at.run())
    assert len(at.selectbox(key=f"mes-actions-convention-{officer.id}").options) == 3


def test_dropping_my_input_shows_the_stored_values_again(app_world, officer, actions):
    at = page(officer)
    edit(at, {0: {"last_comment": "Brouillon"}})
    click(at, "mes-actions-drop")
    assert at.data_editor[0].value.loc[actions[0].id, "last_comment"] == ""
    assert at.button(key="mes-actions-save").disabled
    assert stored(app_world, "PE-01").version == 1
