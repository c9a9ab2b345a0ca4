"""The convention page's data: phase stepper, filters, timeline rows, a fiche with its
history in French, choices for the forms — on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from ctg_core.common import formats, history
from ctg_core.common.errors import NotFound, PermissionDenied
from ctg_core.common.models import (
    ActionStatus,
    ConventionPhase,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Role,
)
from ctg_core.people import queries as people
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import filters as plan_filters
from ctg_core.plan import phases, timeline
from ctg_core.plan import queries as plan_queries
from ctg_core.plan.filters import PlanFilters
from tests.conftest import TODAY
from tests.factories import CARENE

START = date(2019, 1, 1)


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def convention(world):
    return world.convention()


@pytest.fixture
def actions(world, convention):
    """Five actions on two axes; PE-01 and EJ-01 are late on TODAY (25/11/2026)."""
    make = world.action
    return {
        "PE-01": make(convention, "PE-01", status=ActionStatus.en_cours, progress=40,
                      starts_on=START, due_on=date(2026, 6, 30), lead="CCAS",
                      vigilance="Recrutement difficile"),
        "PE-02": make(convention, "PE-02", status=ActionStatus.realisee, progress=100,
                      starts_on=START, due_on=date(2026, 3, 31), lead="CCAS"),
        "PE-03": make(convention, "PE-03", status=ActionStatus.a_venir, progress=0,
                      starts_on=None, due_on=None, lead=""),
        "EJ-01": make(convention, "EJ-01", status=ActionStatus.suspendue, progress=10,
                      starts_on=START, due_on=date(2026, 1, 31), lead="centre social"),
        "EJ-02": make(convention, "EJ-02", status=ActionStatus.abandonnee, progress=30,
                      starts_on=None, due_on=date(2026, 1, 31), lead="  "),
    }  # fmt: skip


@pytest.fixture
def frame(session, officer, convention, actions):
    return plan_queries.actions_frame(session, officer, convention.id, TODAY)


def codes(frame):
    return sorted(frame["code"])


# --- phase stepper and duration --------------------------------------------------------


def test_stepper_marks_steps_before_the_current_phase_done_with_their_dates():
    dates = {
        ConventionPhase.preparation: date(2024, 1, 10),
        ConventionPhase.plan_actions: date(2024, 9, 1),
        ConventionPhase.pilotage: date(2024, 12, 15),
    }
    steps = phases.phase_steps(ConventionPhase.pilotage, dates)

    assert [(s.number, s.phase, s.state, s.reached_on) for s in steps] == [
        (1, ConventionPhase.preparation, "done", date(2024, 1, 10)),
        (2, ConventionPhase.diagnostic, "done", None),  # never recorded
        (3, ConventionPhase.plan_actions, "done", date(2024, 9, 1)),
        (4, ConventionPhase.pilotage, "current", date(2024, 12, 15)),
        (5, ConventionPhase.evaluation, "upcoming", None),
    ]


def test_an_ended_convention_has_every_step_done():
    steps = phases.phase_steps(ConventionPhase.echue, {})
    assert {s.state for s in steps} == {"done"}


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "label"),
    [
        (date(2025, 1, 1), date(2028, 12, 31), "4 ans"),
        (date(2025, 1, 1), date(2025, 12, 31), "1 an"),
        (date(2025, 1, 1), date(2027, 6, 30), "2 ans et 6 mois"),
        (date(2025, 1, 1), date(2025, 8, 31), "8 mois"),
        (None, date(2025, 8, 31), ""),
    ],
)
def test_duration_is_written_in_years_and_months(starts_on, ends_on, label):
    assert phases.duration_label(starts_on, ends_on) == label


# --- filters -----------------------------------------------------------------------------


def test_no_filter_keeps_every_action_in_order(frame):
    assert list(plan_filters.filter_actions(frame, PlanFilters())["code"]) == list(frame["code"])
    assert not PlanFilters().active


def test_filter_by_axis(world, frame):
    kept = plan_filters.filter_actions(
        frame, PlanFilters(axis_ids=frozenset({world.axis("EJ").id}))
    )
    assert codes(kept) == ["EJ-01", "EJ-02"]


def test_filter_by_statuses(frame):
    kept = plan_filters.filter_actions(
        frame, PlanFilters(statuses=frozenset({"realisee", "suspendue"}))
    )
    assert codes(kept) == ["EJ-01", "PE-02"]


def test_filter_late_only(frame):
    assert codes(plan_filters.filter_actions(frame, PlanFilters(late_only=True))) == [
        "EJ-01",
        "PE-01",
    ]


def test_filter_without_lead_treats_blank_as_no_lead(frame):
    kept = plan_filters.filter_actions(frame, PlanFilters(without_lead=True))
    assert codes(kept) == ["EJ-02", "PE-03"]


def test_chosen_leads_and_without_lead_combine_with_or(frame):
    kept = plan_filters.filter_actions(
        frame, PlanFilters(leads=frozenset({"CCAS"}), without_lead=True)
    )
    assert codes(kept) == ["EJ-02", "PE-01", "PE-02", "PE-03"]


def test_kinds_of_filter_combine_with_and(world, frame):
    filters = PlanFilters(axis_ids=frozenset({world.axis("PE").id}), late_only=True)
    assert codes(plan_filters.filter_actions(frame, filters)) == ["PE-01"]


def test_filter_with_a_point_de_vigilance(frame):
    assert codes(plan_filters.filter_actions(frame, PlanFilters(vigilance_only=True))) == ["PE-01"]


def test_leads_are_distinct_non_empty_and_sorted_without_case(frame):
    assert plan_filters.leads(frame) == ["CCAS", "centre social"]


# --- timeline ----------------------------------------------------------------------------


def test_timeline_has_one_bar_per_dated_action_grouped_by_axis(frame):
    rows = timeline.timeline_rows(frame)

    assert list(rows["code"]) == ["PE-01", "PE-02", "EJ-01", "EJ-02"]
    assert list(rows["axis_order"]) == [0, 0, 1, 1]
    first = rows.iloc[0]
    assert (first["start"].date(), first["due"].date(), first["late"]) == (
        START,
        date(2026, 6, 30),
        True,
    )
    # Only a due date: a one-day bar on that date.
    last = rows.iloc[-1]
    assert last["start"] == last["due"] == pd.Timestamp(2026, 1, 31)
    assert timeline.undated_count(frame) == 1


def test_long_titles_are_shortened_on_the_timeline():
    assert history.shorten("Accueil " * 20, 20) == "Accueil Accueil Acc…"
    assert len(history.shorten("x" * 100)) == 48


# --- a fiche and its history -------------------------------------------------------------


def test_fiche_has_every_field_and_the_late_flag(session, officer, actions):
    detail = plan_queries.action_detail(session, officer, actions["PE-01"].id, TODAY)

    assert (detail.code, detail.axis, detail.lead, detail.progress) == (
        "PE-01",
        "Petite enfance",
        "CCAS",
        40,
    )
    assert detail.late is True
    assert detail.vigilance == "Recrutement difficile"
    assert detail.form_values()["status"] is ActionStatus.en_cours


def test_history_says_who_changed_what_and_in_which_meeting(session, officer, convention,
                                                            actions):  # fmt: skip
    meeting = Meeting(
        convention_id=convention.id,
        kind=MeetingKind.copil,
        held_on=date(2026, 1, 21),
        status=MeetingStatus.open,
    )
    session.add(meeting)
    session.commit()
    action = actions["PE-01"]
    plan_commands.update_action(
        session,
        officer,
        action.id,
        1,
        {"progress": 60, "due_on": date(2026, 12, 31), "budget": "12500.5"},
        meeting_id=meeting.id,
    )
    plan_commands.update_action(session, officer, action.id, 2, {"status": "suspendue"})

    detail = plan_queries.action_detail(session, officer, action.id, TODAY)

    newest, older = detail.history
    assert (newest.operation_label, newest.user_name, newest.meeting) == (
        "Modification",
        "Nadia Officier",
        "",
    )
    assert newest.summary == "Statut : En cours → Suspendue"
    assert older.meeting == "COPIL n° 1 du 21/01/2026"
    assert {str(c) for c in older.changes} == {
        "Avancement : 40 % → 60 %",
        "Échéance : 30/06/2026 → 31/12/2026",
        "Budget : — → 12\u202f500,50\u00a0€",
    }
    assert detail.updated_by == "Nadia Officier"


def test_archiving_shows_in_history_and_the_fiche_stays_readable(session, officer, actions):
    action = actions["EJ-01"]
    plan_commands.archive_action(session, officer, action.id, 1)

    detail = plan_queries.action_detail(session, officer, action.id, TODAY)

    assert detail.archived
    assert detail.late is False  # an archived action is out of the plan
    assert detail.history[0].operation_label == "Archivage"


def test_a_refused_save_is_shown_as_such(session, officer, actions):
    action = actions["PE-01"]
    plan_commands.update_action(session, officer, action.id, 1, {"progress": 50})
    with pytest.raises(Exception, match="Modification refusée"):
        plan_commands.update_action(session, officer, action.id, 1, {"progress": 70})

    conflict = plan_queries.action_detail(session, officer, action.id, TODAY).history[0]
    assert conflict.operation_label == "Modification refusée (conflit)"
    assert conflict.summary == "Avancement : 70 % (non enregistré)"


def test_fiche_of_another_territory_is_refused(world, session, actions):
    stranger = world.user(Role.coop_officer, territories=[world.territory(CARENE)])
    with pytest.raises(PermissionDenied):
        plan_queries.action_detail(session, stranger, actions["PE-01"].id, TODAY)


def test_unknown_fiche_is_not_found(session, officer):
    with pytest.raises(NotFound):
        plan_queries.action_detail(session, officer, 999_999, TODAY)


def test_convention_history_shows_a_phase_change(world, session, convention):
    advisor = world.user(Role.caf_advisor, name="Claire Conseil")
    convention.advisor_id = advisor.id
    session.add(convention)
    session.commit()
    plan_commands.update_convention(
        session,
        advisor,
        convention.id,
        1,
        {"phase": "evaluation"},
        phase_reached_on=date(2026, 10, 1),
    )

    [line] = plan_queries.convention_history(session, advisor, convention.id)
    assert line.summary == "Phase : Pilotage et suivi → Évaluation"
    header = plan_queries.convention_header(session, advisor, convention.id)
    assert header.phase_dates[ConventionPhase.evaluation] == date(2026, 10, 1)


# --- choices and reference tables ----------------------------------------------------------


def test_territory_choices_list_epci_first_then_communes(session):
    choices = plan_queries.territory_choices(session)
    labels = [c.label for c in choices]

    assert len(choices) == 17 + 207
    assert all(label.endswith("(epci)") for label in labels[:17])
    assert "Rezé (commune)" in labels[17:]


def test_advisor_choices_are_the_caf_advisors(world, session):
    claire = world.user(Role.caf_advisor, name="Claire Conseil")
    world.user(Role.coop_officer, name="Nadia Officier")

    assert [c.label for c in plan_queries.advisor_choices(session)] == ["Claire Conseil"]
    assert plan_queries.advisor_choices(session)[0].id == claire.id


def test_axes_with_usage_count_actions_per_axis(session, actions):
    usage = plan_queries.axes_with_usage(session).set_index("code")

    assert len(usage) == 7
    assert (
        usage.loc["PE", "actions"],
        usage.loc["EJ", "actions"],
        usage.loc["LOG", "actions"],
    ) == (
        3,
        2,
        0,
    )


def test_only_the_administrator_lists_users(world, session, officer):
    admin = world.user(Role.admin, name="Alice Admin")
    with pytest.raises(PermissionDenied):
        people.user_directory(session, officer)

    users = people.user_directory(session, admin).set_index("name")
    assert users.loc["Nadia Officier", "territories"] == "Nantes Métropole"
    assert users.loc["Alice Admin", "role"] == "Administrateur"


def test_times_are_shown_on_the_french_clock():
    winter = formats.local_time(datetime(2026, 11, 25, 15, 32))  # naive: stored UTC (SQLite)
    summer = formats.local_time(datetime(2026, 7, 1, 8, 0, tzinfo=UTC))
    assert (winter.hour, summer.hour) == (16, 10)
    assert formats.local_time(None) is None
