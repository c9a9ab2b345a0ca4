"""The Convention page through AppTest: per-axis counts and late flags computed by hand,
filters, editing with history, French errors that change nothing, roles, deep links."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from ctg_core.common import formats
from ctg_core.common.errors import PermissionDenied
from ctg_core.common.models import (
    Action,
    ActionStatus,
    ChangeLog,
    Convention,
    ConventionPhase,
    PhaseChange,
    Role,
)
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from tests.factories import CARENE

ROOT = Path(__file__).resolve().parents[2]
# The page judges "late" against the real date: these due dates are decades away from it.
LONG_AGO = date(2001, 1, 1)
PAST_DUE = date(2002, 6, 30)
FAR_FUTURE = date(2099, 12, 31)


def page(user, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = user.id
    at.switch_page("pages/convention.py")
    for name, value in params.items():
        at.query_params[name] = str(value)
    return no_exception(at.run())


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def by_key_prefix(elements, prefix: str):
    [found] = [e for e in elements if (e.key or "").startswith(prefix)]
    return found


def plan_codes(at: AppTest) -> list[str]:
    return list(by_key_prefix(at.dataframe, "plan_table-").value["code"])


def table_with(at: AppTest, column: str):
    """The last table showing `column` (unselectable tables carry no key in AppTest)."""
    return [d.value for d in at.dataframe if column in d.value.columns][-1]


def texts(elements) -> list[str]:
    return [unescape(e.value) for e in elements]


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", str(text))


@pytest.fixture
def world(app_world):
    return app_world


@pytest.fixture
def nantes(world):
    return world.territory()


@pytest.fixture
def advisor(world):
    return world.user(Role.caf_advisor, name="Claire Conseil", demo=True)


@pytest.fixture
def officer(world, nantes):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[nantes], demo=True)


@pytest.fixture
def convention(world, nantes, advisor):
    return world.convention(nantes, advisor=advisor)


@pytest.fixture
def actions(world, convention):
    """Five actions on two axes, with the expected figures worked out by hand:

    Petite enfance: PE-01 en cours 40 % late + vigilance, PE-02 réalisée 100 % (past due
    but done: not late), PE-03 à venir 0 % due in 2099.
    Enfance-jeunesse: EJ-01 suspendue 10 % late, EJ-02 abandonnée 30 % past due (not late).
    """
    make = world.action
    return {
        "PE-01": make(convention, "PE-01", status=ActionStatus.en_cours, progress=40,
                      starts_on=LONG_AGO, due_on=PAST_DUE, lead="CCAS",
                      vigilance="Recrutement difficile"),
        "PE-02": make(convention, "PE-02", status=ActionStatus.realisee, progress=100,
                      starts_on=LONG_AGO, due_on=PAST_DUE, lead="CCAS"),
        "PE-03": make(convention, "PE-03", status=ActionStatus.a_venir, progress=0,
                      starts_on=LONG_AGO, due_on=FAR_FUTURE, lead=""),
        "EJ-01": make(convention, "EJ-01", status=ActionStatus.suspendue, progress=10,
                      starts_on=LONG_AGO, due_on=PAST_DUE, lead="Centre social"),
        "EJ-02": make(convention, "EJ-02", status=ActionStatus.abandonnee, progress=30,
                      starts_on=LONG_AGO, due_on=PAST_DUE, lead=""),
    }  # fmt: skip


def fresh(world):
    """End the test session's read transaction: on SQLite (WAL) it would keep reading the
    snapshot taken before the page wrote."""
    world.session.rollback()
    return world.session


def stored(world, action) -> Action:
    return fresh(world).get(Action, action.id, populate_existing=True)


def log_of(world, action) -> list[ChangeLog]:
    return (
        fresh(world)
        .exec(
            select(ChangeLog)
            .where(ChangeLog.entity == "action", ChangeLog.entity_id == action.id)
            .order_by(ChangeLog.id)
        )
        .all()
    )


def open_fiche(at: AppTest, action) -> AppTest:
    at.selectbox(key="fiche_id").set_value(action.id)
    return no_exception(at.run())


def edit_widget(elements, action, field: str):
    return by_key_prefix(
        [e for e in elements if (e.key or "").endswith(f"-{field}")], f"action-{action.id}-"
    )


def save_fiche(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.label == "Enregistrer la fiche"]
    button.click()
    return no_exception(at.run())


# --- what the page shows -----------------------------------------------------------------


def test_per_axis_counts_and_late_flags_match_the_hand_computed_figures(officer, actions):
    at = page(officer, convention=actions["PE-01"].convention_id)

    table = table_with(at, "Points de vigilance").set_index("Axe")
    assert table.loc["Petite enfance"].to_dict() == {
        "À venir": 1,
        "En cours": 1,
        "Réalisée": 1,
        "Suspendue": 0,
        "Abandonnée": 0,
        "Total": 3,
        "Avancement moyen": formats.percent((40 + 100 + 0) / 3 / 100),
        "En retard": 1,
        "Points de vigilance": 1,
    }
    assert table.loc["Enfance-jeunesse"].to_dict() == {
        "À venir": 0,
        "En cours": 0,
        "Réalisée": 0,
        "Suspendue": 1,
        "Abandonnée": 1,
        "Total": 2,
        "Avancement moyen": formats.percent((10 + 30) / 2 / 100),
        "En retard": 1,
        "Points de vigilance": 0,
    }
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Actions du plan": "5",
        "Avancement moyen": formats.percent((40 + 100 + 0 + 10 + 30) / 5 / 100),
        "En retard": "2",
        "Points de vigilance": "1",
    }
    plan_table = by_key_prefix(at.dataframe, "plan_table-").value.set_index("code")
    assert plan_table["alerts"].to_dict() == {
        "PE-01": "⚠ En retard ⚑ Vigilance",
        "PE-02": "",
        "PE-03": "",
        "EJ-01": "⚠ En retard",
        "EJ-02": "",
    }
    assert plan_table.loc["EJ-01", "status"] == "‖ Suspendue"
    assert plan_table.loc["PE-03", "lead"] == "(sans pilote)"


def test_header_shows_territory_dates_people_and_the_current_phase_in_words(
    world, officer, convention, actions
):
    at = page(officer, convention=convention.id)

    assert texts(at.title) == ["CTG Nantes Métropole"]
    shown = "\n".join(texts(at.markdown))
    assert "Nantes Métropole" in shown and "EPCI ·" in shown
    assert "du 01/01/2025 au 31/12/2028  \n4 ans · signée le 15/12/2024" in shown
    assert "Claire Conseil" in shown
    assert "4. Pilotage et suivi**  \n**Phase actuelle** depuis le 15/12/2024" in shown
    assert "5. Évaluation  \nÀ venir" in shown


def test_fiche_shows_every_field_and_its_history(world, officer, actions):
    action = actions["PE-01"]
    plan_commands.update_action(world.session, officer, action.id, 1, {"last_comment": "Relancé"})
    at = open_fiche(page(officer, convention=action.convention_id), action)

    shown = "\n".join(texts(at.markdown))
    assert "PE-01 — Action PE-01" in texts(at.subheader)
    assert "**⚠ En retard** : échéance dépassée" in shown
    for fragment in ("**Pilote**  \nCCAS", "**Échéance**  \n30/06/2002", "Relancé"):
        assert fragment in shown
    assert "Recrutement difficile" in "\n".join(texts(at.warning))
    history = table_with(at, "Opération")
    assert history.loc[0, ["Par", "Opération", "Modifications"]].tolist() == [
        "Nadia Officier",
        "Modification",
        "Commentaire : — → Relancé",
    ]


# --- filters -----------------------------------------------------------------------------


def test_filter_by_axis(world, officer, actions):
    at = page(officer, convention=actions["PE-01"].convention_id)
    at.pills(key="plan_axes").set_value([world.axis("EJ").id])
    assert plan_codes(no_exception(at.run())) == ["EJ-01", "EJ-02"]


def test_filter_by_status(officer, actions):
    at = page(officer, convention=actions["PE-01"].convention_id)
    at.pills(key="plan_statuses").set_value(["realisee", "abandonnee"])
    assert plan_codes(no_exception(at.run())) == ["PE-02", "EJ-02"]


def test_filter_late_only(officer, actions):
    at = page(officer, convention=actions["PE-01"].convention_id)
    at.checkbox(key="plan_late").check()
    assert plan_codes(no_exception(at.run())) == ["PE-01", "EJ-01"]


def test_filter_by_lead_and_without_lead(officer, actions):
    at = page(officer, convention=actions["PE-01"].convention_id)
    at.checkbox(key="plan_no_lead").check()
    assert plan_codes(no_exception(at.run())) == ["PE-03", "EJ-02"]

    at.multiselect(key="plan_leads").set_value(["Centre social"])
    assert plan_codes(no_exception(at.run())) == ["PE-03", "EJ-01", "EJ-02"]

    at.button[[b.label for b in at.button].index("Effacer les filtres")].click()
    assert len(plan_codes(no_exception(at.run()))) == 5


# --- editing -----------------------------------------------------------------------------


def test_editing_an_action_changes_it_and_writes_history(world, officer, actions):
    action = actions["PE-01"]
    at = open_fiche(page(officer, convention=action.convention_id), action)

    edit_widget(at.text_input, action, "progress").input("60 %")  # typed the French way
    edit_widget(at.text_area, action, "last_comment").input("Deux places ouvertes")
    at = save_fiche(at)

    saved = stored(world, action)
    assert (saved.progress, saved.last_comment, saved.version) == (60, "Deux places ouvertes", 2)
    [entry] = log_of(world, action)
    assert entry.operation == "update"
    assert entry.changes == {"progress": [40, 60], "last_comment": ["", "Deux places ouvertes"]}
    assert entry.user_name == "Nadia Officier"
    history = table_with(at, "Opération")
    assert "Avancement : 40 % → 60 %" in history.loc[0, "Modifications"]
    # The form shows the saved values again, ready for the next change.
    assert edit_widget(at.text_input, action, "progress").value == "60"
    assert "Fiche PE-01 enregistrée." in [t.value for t in at.toast]


@pytest.mark.parametrize(
    ("widget", "field", "value", "message"),
    [
        ("text_input", "progress", "150", "L'avancement va de 0 à 100 %."),
        ("text_input", "progress", "42,5", "L'avancement est un nombre entier, sans décimale"),
        ("date_input", "due_on", date(2000, 6, 1), "L'échéance ne peut pas précéder le début."),
        ("text_input", "title", "", "Intitulé ne peut pas être vide."),
    ],
)
def test_invalid_input_shows_a_french_error_and_changes_nothing(
    world, officer, actions, widget, field, value, message
):
    action = actions["PE-01"]
    at = open_fiche(page(officer, convention=action.convention_id), action)

    edit_widget(getattr(at, widget), action, field).set_value(value)
    at = save_fiche(at)

    assert any(e.value.startswith(message) for e in at.error), [e.value for e in at.error]
    saved = stored(world, action)
    assert (saved.version, saved.progress, saved.title, saved.due_on) == (
        1,
        40,
        "Action PE-01",
        PAST_DUE,
    )
    assert log_of(world, action) == []
    # The user's input is kept for correction.
    assert edit_widget(getattr(at, widget), action, field).value == value


def test_a_conflict_keeps_the_input_and_the_next_save_keeps_the_other_persons_change(
    world, officer, advisor, actions
):
    action = actions["PE-01"]
    at = open_fiche(page(officer, convention=action.convention_id), action)
    # Someone else saves the fiche while it is open on this screen.
    plan_commands.update_action(world.session, advisor, action.id, 1, {"lead": "Mairie"})

    edit_widget(at.text_input, action, "progress").input("60")
    at = save_fiche(at)

    assert any("Claire Conseil a enregistré cette fiche" in w.value for w in at.warning)
    assert (stored(world, action).progress, stored(world, action).lead) == (40, "Mairie")
    assert edit_widget(at.text_input, action, "progress").value == "60"  # input kept
    assert edit_widget(at.text_input, action, "lead").value == "Mairie"  # theirs shown

    at = save_fiche(at)  # the user read the other values and saves again

    saved = stored(world, action)
    assert (saved.progress, saved.lead, saved.version) == (60, "Mairie", 3)
    assert [e.operation for e in log_of(world, action)] == ["update", "conflict", "update"]


def test_user_text_is_shown_as_text_not_markup(world, officer, convention):
    action = world.action(convention, "PE-09", title="**Gras** [lien](https://exemple.invalid)")
    at = open_fiche(page(officer, convention=convention.id), action)

    [heading] = [h.value for h in at.subheader if "PE" in h.value]
    assert heading == r"PE\-09 — \*\*Gras\*\* \[lien\]\(https\://exemple\.invalid\)"


def test_error_is_shown_next_to_its_field(officer, actions):
    action = actions["PE-01"]
    at = open_fiche(page(officer, convention=action.convention_id), action)
    edit_widget(at.text_input, action, "progress").input("150")
    at = save_fiche(at)

    [form] = [f for f in at.get("form") if (f.proto.form.form_id or "").startswith("action-")]
    column = next(
        block
        for block in form
        if getattr(block, "type", "") == "column"
        and any((getattr(n, "key", "") or "").endswith("-progress") for n in block)
    )
    assert [n.value for n in column if getattr(n, "type", "") == "error"] == [
        "L'avancement va de 0 à 100 %."
    ]


def test_creating_an_action_opens_its_fiche(world, officer, convention, actions):
    at = page(officer, convention=convention.id)
    form = f"new-action-{convention.id}-"
    by_key_prefix(at.text_input, form + "1-code").input("PE-04")
    by_key_prefix(at.text_input, form + "1-title").input("Relais petite enfance itinérant")
    [button] = [b for b in at.button if b.label == "Créer la fiche"]
    button.click()
    at = no_exception(at.run())

    created = (
        fresh(world)
        .exec(select(Action).where(Action.convention_id == convention.id, Action.code == "PE-04"))
        .one()
    )
    assert created.title == "Relais petite enfance itinérant"
    assert [e.operation for e in log_of(world, created)] == ["create"]
    assert at.selectbox(key="fiche_id").value == created.id
    assert "PE-04" in plan_codes(at)


def test_a_duplicate_code_is_refused_next_to_the_code(world, officer, convention, actions):
    at = page(officer, convention=convention.id)
    form = f"new-action-{convention.id}-1-"
    by_key_prefix(at.text_input, form + "code").input("PE-01")
    by_key_prefix(at.text_input, form + "title").input("Doublon")
    [button] = [b for b in at.button if b.label == "Créer la fiche"]
    button.click()
    at = no_exception(at.run())

    assert "Le code PE-01 est déjà utilisé dans cette convention." in [e.value for e in at.error]
    assert len(plan_codes(at)) == 5


def test_archiving_asks_for_confirmation_and_keeps_the_action(world, officer, actions):
    action = actions["EJ-02"]
    at = open_fiche(page(officer, convention=action.convention_id), action)
    at.button(key="archive-fiche").click()
    at = no_exception(at.run())
    assert stored(world, action).archived_at is None  # nothing happens before confirmation

    at.button(key=f"archive-{action.id}-confirm").click()
    at = no_exception(at.run())

    assert stored(world, action).archived_at is not None
    assert "EJ-02" not in plan_codes(at)
    at.toggle(key="plan_archived").set_value(True)
    at = no_exception(at.run())
    table = by_key_prefix(at.dataframe, "plan_table-").value.set_index("code")
    assert table.loc["EJ-02", "status"] == "✕ Abandonnée (archivée)"


def test_advisor_changes_the_phase_with_the_date_it_was_reached(world, advisor, convention):
    at = page(advisor, convention=convention.id)
    prefix = f"convention-{convention.id}-1-"
    by_key_prefix(at.selectbox, prefix + "phase").set_value(ConventionPhase.evaluation)
    by_key_prefix(at.date_input, prefix + "phase_reached_on").set_value(date(2026, 10, 1))
    [button] = [b for b in at.button if b.label == "Enregistrer la convention"]
    button.click()
    at = no_exception(at.run())

    changes = (
        fresh(world)
        .exec(select(PhaseChange).where(PhaseChange.convention_id == convention.id))
        .all()
    )
    assert (changes[-1].phase, changes[-1].reached_on) == (
        ConventionPhase.evaluation,
        date(2026, 10, 1),
    )
    assert "**Phase actuelle** depuis le 01/10/2026" in "\n".join(texts(at.markdown))


def test_convention_dates_are_checked_in_the_core(world, advisor, convention):
    at = page(advisor, convention=convention.id)
    prefix = f"convention-{convention.id}-1-"
    by_key_prefix(at.date_input, prefix + "ends_on").set_value(date(2024, 6, 1))
    [button] = [b for b in at.button if b.label == "Enregistrer la convention"]
    button.click()
    at = no_exception(at.run())

    assert "La fin doit suivre le début de la convention." in [e.value for e in at.error]
    saved = fresh(world).get(Convention, convention.id, populate_existing=True)
    assert (saved.ends_on, saved.version) == (date(2028, 12, 31), 1)


# --- roles -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.committee, Role.caf_manager])
def test_a_role_without_the_right_sees_no_edit_controls_and_the_service_refuses(
    world, nantes, actions, role
):
    reader = world.user(role, name="Lecteur", territories=[nantes], demo=True)
    action = actions["PE-01"]
    at = open_fiche(page(reader, convention=action.convention_id), action)

    assert "PE-01 — Action PE-01" in texts(at.subheader)  # the fiche is readable
    labels = {b.label for b in at.button}
    assert not labels & {
        "Enregistrer la fiche",
        "Créer la fiche",
        "Archiver la fiche…",
        "Enregistrer la convention",
        "Créer la convention",
    }
    assert not [e for e in at.expander if "Modifier" in e.label or "Nouvelle" in e.label]
    with pytest.raises(PermissionDenied):
        plan_commands.update_action(world.session, reader, action.id, 1, {"progress": 90})
    with pytest.raises(PermissionDenied):
        plan_commands.archive_action(world.session, reader, action.id, 1)
    assert (stored(world, action).progress, stored(world, action).archived_at) == (40, None)


def test_officer_edits_the_plan_but_not_the_convention(officer, convention, actions):
    at = page(officer, convention=convention.id)
    labels = {b.label for b in at.button}
    assert "Créer la fiche" in labels
    assert not labels & {"Enregistrer la convention", "Créer la convention"}


# --- which convention --------------------------------------------------------------------


def test_without_a_parameter_the_first_readable_convention_opens(officer, convention, actions):
    at = page(officer)
    assert texts(at.title) == ["CTG Nantes Métropole"]
    assert at.query_params["convention"] == str(convention.id)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("999999", "Convention introuvable (n° 999999)."),
        ("abc", "« abc » n'est pas un numéro de convention valide."),
    ],
)
def test_an_unknown_id_shows_a_clear_message_and_the_selector(officer, convention, value,
                                                              message):  # fmt: skip
    at = page(officer, convention=value)

    assert any(message in unescape(w.value) for w in at.warning)
    assert at.selectbox(key="convention_picker").options == [
        "CTG Nantes Métropole · Pilotage et suivi"
    ]
    assert texts(at.title) == ["Convention"]  # and nothing of any convention
    assert not at.dataframe


def test_a_convention_of_another_territory_is_refused(world, nantes, convention):
    stranger = world.user(Role.coop_officer, territories=[world.territory(CARENE)], demo=True)
    at = page(stranger, convention=convention.id)
    assert any(
        "Vous n'avez pas le droit de consulter cette convention." in unescape(w.value)
        for w in at.warning
    )
    assert not at.dataframe


def test_typing_a_member_commune_finds_its_epci_convention(world, convention):
    manager = world.user(Role.caf_manager, demo=True)
    world.convention(world.territory(CARENE))
    at = page(manager, convention=convention.id)

    at.text_input(key="convention_search").input("Rezé")
    at = no_exception(at.run())

    assert at.selectbox(key="convention_picker").options == [
        "CTG Nantes Métropole · Pilotage et suivi"
    ]
    assert at.selectbox(key="convention_picker").value == convention.id


def test_picking_another_convention_opens_it(world, convention):
    manager = world.user(Role.caf_manager, demo=True)
    carene = world.convention(world.territory(CARENE), title="CTG de la CARENE")
    at = page(manager, convention=convention.id)

    at.selectbox(key="convention_picker").set_value(carene.id)
    at = no_exception(at.run())

    assert texts(at.title) == ["CTG de la CARENE"]
    assert at.query_params["convention"] == str(carene.id)


# --- administration: the axes are the plan's reference table -------------------------------


def admin_page(user) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = user.id
    at.switch_page("pages/administration.py")
    return no_exception(at.run())


def add_axis(at: AppTest, code: str, label: str) -> AppTest:
    by_key_prefix(at.text_input, "new-axis-1-code").input(code)
    by_key_prefix(at.text_input, "new-axis-1-label").input(label)
    [button] = [b for b in at.button if b.label == "Ajouter la thématique"]
    button.click()
    return no_exception(at.run())


def test_admin_sees_the_seven_axes_and_adds_one(world):
    admin = world.user(Role.admin, name="Alice Admin", demo=True)
    at = admin_page(admin)
    assert len(table_with(at, "label")) == 7

    at = add_axis(at, "SEN", "Seniors")

    axes = table_with(at, "label")
    assert list(axes["label"])[-1] == "Seniors"
    assert len(axes) == 8
    assert "Thématique « Seniors » ajoutée." in [t.value for t in at.toast]
    # The new axis is offered when filing an action.
    assert "SEN" in [a.code for a in plan_queries.axes(fresh(world))]


def test_an_axis_label_already_taken_is_refused_next_to_the_field(world):
    admin = world.user(Role.admin, demo=True)
    at = add_axis(admin_page(admin), "PE2", "petite enfance")

    assert "Un axe porte déjà ce code ou ce libellé." in [e.value for e in at.error]
    assert len(table_with(at, "label")) == 7


def test_administration_is_reserved_to_the_administrator(world, officer):
    at = admin_page(officer)

    assert any("réservée à l'administrateur" in w.value for w in at.warning)
    assert not at.dataframe
    assert not [b for b in at.button if b.label == "Ajouter la thématique"]
    with pytest.raises(PermissionDenied):
        plan_commands.add_axis(world.session, officer, {"code": "SEN", "label": "Seniors"})


COLLEAGUE_CHANGES = {
    "code": "PE-10",
    "title": "Relais petite enfance élargi",
    "axis_id": "EJ",  # replaced by the axis id in the test
    "lead": "Mairie",
    "starts_on": date(2001, 3, 1),
    "due_on": date(2003, 6, 30),
    "status": ActionStatus.suspendue,
    "progress": 55,
    "budget": Decimal("200000"),
    "partners": "CAF, MSA",
    "objective": "Ouvrir vingt places",
    "last_comment": "Réunion faite",
    "vigilance": "",
}


@pytest.mark.parametrize("field", list(COLLEAGUE_CHANGES))
def test_resaving_after_a_conflict_never_reverts_what_a_colleague_changed(
    world, officer, advisor, convention, field
):
    """Two people on one fiche: the colleague saves `field`, this user changes another field,
    is told of the conflict, saves again: both changes stay, and the history shows no change
    of `field` by this user (the form never sends an untouched field, e.g. « 179 000,00 »)."""
    action = world.action(
        convention, "PE-01", status=ActionStatus.en_cours, progress=40, starts_on=LONG_AGO,
        due_on=PAST_DUE, lead="CCAS", vigilance="Recrutement difficile",
        budget=Decimal("179000"), partners="CAF", objective="Ouvrir dix places",
    )  # fmt: skip
    theirs = COLLEAGUE_CHANGES[field]
    if field == "axis_id":
        theirs = world.axis("EJ").id
    mine_field, mine = ("objective", "Mon objectif") if field == "last_comment" else (
        "last_comment", "Mon commentaire")  # fmt: skip
    at = open_fiche(page(officer, convention=convention.id), action)
    plan_commands.update_action(world.session, advisor, action.id, 1, {field: theirs})

    widgets = at.text_area if mine_field in ("objective", "last_comment") else at.text_input
    edit_widget(widgets, action, mine_field).input(mine)
    at = save_fiche(at)
    assert any("a enregistré cette fiche" in w.value for w in at.warning)
    at = save_fiche(at)  # as the message asks

    saved = stored(world, action)
    expected = theirs.value if isinstance(theirs, ActionStatus) else theirs
    assert getattr(saved, field) == expected
    assert getattr(saved, mine_field) == mine
    mine_log = [e for e in log_of(world, action) if e.user_name == "Nadia Officier"]
    assert [e.operation for e in mine_log] == ["conflict", "update"]
    assert set(mine_log[-1].changes) == {mine_field}


# --- drawn when opened ---------------------------------------------------------------------


def test_the_history_and_the_calendar_are_drawn_when_opened(world, officer, actions):
    convention_id = actions["PE-01"].convention_id
    at = page(officer, convention=convention_id)
    nothing = "Aucune modification enregistrée."
    assert nothing not in texts(at.caption)  # the history is read when opened
    charts = len(at.get("vega_lite_chart"))
    assert plan_codes(at)  # the table tab is open first

    at.session_state[f"convention-history-{convention_id}"] = True
    at.session_state["plan_tab"] = "Calendrier"
    at = no_exception(at.run())
    assert nothing in texts(at.caption)  # these actions were made without a history
    assert not [d for d in at.dataframe if (d.key or "").startswith("plan_table-")]
    assert len(at.get("vega_lite_chart")) == charts + 1  # the calendar
