"""Reads for pages: scoped to the user, late derived, roll-ups by axis."""

from datetime import date

import pytest

from ctg_core.common import models
from ctg_core.common.errors import NotFound, PermissionDenied
from ctg_core.common.models import ActionStatus, ConventionPhase, Role
from ctg_core.plan import queries as plan_queries
from tests.factories import CARENE, NANTES_METROPOLE

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("status", "due_on", "late"),
    [
        (ActionStatus.en_cours, date(2026, 11, 24), True),
        (ActionStatus.en_cours, date(2026, 11, 25), False),
        (ActionStatus.suspendue, date(2025, 1, 1), True),
        (ActionStatus.realisee, date(2025, 1, 1), False),
        (ActionStatus.abandonnee, date(2025, 1, 1), False),
        (ActionStatus.a_venir, None, False),
    ],
)
def test_late_means_due_date_passed_and_not_closed(status, due_on, late):
    assert models.is_late(status, due_on, TODAY) is late


def test_an_officer_sees_only_the_conventions_of_their_territory(world, session):
    nantes = world.convention()
    world.convention(world.territory(CARENE))
    officer = world.user(Role.coop_officer, territories=[world.territory()])
    manager = world.user(Role.caf_manager)

    assert [c.id for c in plan_queries.conventions(session, officer)] == [nantes.id]
    assert len(plan_queries.conventions(session, manager)) == 2


def test_typing_a_commune_finds_the_ctg_of_its_epci(world, session):
    nantes = world.convention()
    world.convention(world.territory(CARENE))
    manager = world.user(Role.caf_manager)

    found = plan_queries.search_conventions(session, manager, "rezé")
    assert [c.id for c in found] == [nantes.id]
    assert found[0].territory_name == "Nantes Métropole"


def test_header_refuses_a_reader_outside_the_territory(world, session):
    convention = world.convention(world.territory(CARENE))
    committee = world.user(Role.committee, territories=[world.territory()])
    with pytest.raises(PermissionDenied):
        plan_queries.convention_header(session, committee, convention.id)
    with pytest.raises(NotFound):
        plan_queries.convention_header(session, committee, 987_654)


def test_header_gives_phase_dates_and_edit_rights(world, session):
    advisor = world.user(Role.caf_advisor, name="Marc Conseiller")
    convention = world.convention(advisor=advisor, phase=ConventionPhase.pilotage)
    header = plan_queries.convention_header(session, advisor, convention.id)
    assert header.advisor_name == "Marc Conseiller"
    assert header.phase_dates == {ConventionPhase.pilotage: date(2024, 12, 15)}
    assert header.population > 600_000
    assert header.can_edit_plan and header.can_manage


def test_axis_status_rolls_up_counts_progress_late_and_vigilance(world, session):
    convention = world.convention()
    world.action(
        convention, "PE-01", status=ActionStatus.en_cours, progress=40, due_on=date(2026, 1, 31)
    )
    world.action(
        convention,
        "PE-02",
        status=ActionStatus.realisee,
        progress=100,
        due_on=date(2026, 1, 31),
        vigilance="Budget",
    )
    world.action(convention, "EJ-01", status=ActionStatus.a_venir, progress=0)
    manager = world.user(Role.caf_manager)

    frame = plan_queries.actions_frame(session, manager, convention.id, TODAY)
    by_axis = {s.axis: s for s in plan_queries.axis_status(frame)}

    pe = by_axis["Petite enfance"]
    assert pe.total == 2
    assert pe.by_status[ActionStatus.en_cours] == 1
    assert pe.by_status[ActionStatus.realisee] == 1
    assert pe.mean_progress == 70
    assert (pe.late, pe.vigilance) == (1, 1)
    assert by_axis["Enfance-jeunesse"].late == 0


# --- search: accents, wildcards, hostile input ----------------------------------------------


@pytest.mark.parametrize("typed", ["Reze", "REZÉ", "  rezé  ", "Rez"])
def test_search_ignores_case_and_accents(session, world, typed):
    nantes = world.convention(world.territory(NANTES_METROPOLE))
    admin = world.user(Role.admin)
    found = plan_queries.search_conventions(session, admin, typed)
    assert [c.id for c in found] == [nantes.id]


@pytest.mark.parametrize("typed", ["%", "_", "%%", "Nant_s", "\\\\"])
def test_percent_and_underscore_are_plain_characters_in_a_search(session, world, typed):
    world.convention(world.territory(NANTES_METROPOLE))
    admin = world.user(Role.admin)
    assert plan_queries.search_conventions(session, admin, typed) == []


@pytest.mark.parametrize(
    ("typed", "finds_nantes"), [("x" * 60_000, False), ("Nantes\x00", True), ("\x00", True)]
)
def test_a_huge_or_hostile_search_answers_without_error(session, world, typed, finds_nantes):
    """60,000 characters once broke SQLite's LIKE; a NUL byte broke PostgreSQL. Control
    characters are dropped (an empty search lists everything), the length is bounded."""
    nantes = world.convention(world.territory(NANTES_METROPOLE))
    admin = world.user(Role.admin)
    found = plan_queries.search_conventions(session, admin, typed)
    assert [c.id for c in found] == ([nantes.id] if finds_nantes else [])
