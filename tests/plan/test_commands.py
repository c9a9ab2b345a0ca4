"""The write path: permission, validation, version check, change log — on both databases."""

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from ctg_core.common.errors import ConflictError, NotFound, PermissionDenied, ValidationFailed
from ctg_core.common.models import (
    Action,
    ActionStatus,
    Axis,
    ChangeLog,
    Convention,
    ConventionPhase,
    Meeting,
    MeetingKind,
    PhaseChange,
    Role,
)
from ctg_core.plan import commands as plan_commands
from tests.factories import CARENE


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def convention(world):
    return world.convention()


@pytest.fixture
def action(world, convention):
    return world.action(convention, "PE-01", progress=20)


def log_of(session, entity, entity_id):
    return session.exec(
        select(ChangeLog)
        .where(ChangeLog.entity == entity, ChangeLog.entity_id == entity_id)
        .order_by(ChangeLog.id)
    ).all()


def test_officer_updates_progress_and_the_change_is_logged(session, officer, action):
    plan_commands.update_action(
        session, officer, action.id, 1, {"progress": 40, "status": "en_cours"}
    )

    saved = session.get(Action, action.id, populate_existing=True)
    assert (saved.progress, saved.version, saved.updated_by_id) == (40, 2, officer.id)
    [entry] = log_of(session, "action", action.id)
    assert entry.operation == "update"
    assert entry.changes == {"progress": [20, 40]}
    assert entry.user_name == "Nadia Officier"


def test_second_save_from_same_version_is_a_conflict(session, officer, action):
    plan_commands.update_action(session, officer, action.id, 1, {"progress": 40})
    with pytest.raises(ConflictError) as raised:
        plan_commands.update_action(session, officer, action.id, 1, {"progress": 60})

    assert session.get(Action, action.id, populate_existing=True).progress == 40
    info = raised.value.info
    assert info.current_version == 2
    assert info.current_values == {"progress": 40}
    assert info.changed_by == "Nadia Officier"
    assert "Vos saisies sont conservées" in str(raised.value)
    operations = [e.operation for e in log_of(session, "action", action.id)]
    assert operations == ["update", "conflict"]


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"progress": 150}, "progress", "va de 0 à 100 %"),
        ({"due_on": date(2024, 1, 1)}, "due_on", "ne peut pas précéder le début"),
        ({"title": "   "}, "title", "ne peut pas être vide"),
        ({"status": "terminee"}, "status", "n'est pas une valeur permise"),
        ({"status": "realisee", "progress": 80}, "progress", "réalisée est avancée à 100"),
        ({"progress": "42,5"}, "progress", "nombre entier, sans décimale"),
        ({"progress": True}, "progress", "doit être un nombre"),
        ({"lead": "Mairie\x00"}, "lead", "caractère invisible"),  # PostgreSQL cannot store it
        ({"due_on": date(9999, 12, 31)}, "due_on", "entre le 01/01/1990 et le 31/12/2100"),
        ({"starts_on": date(1, 1, 1)}, "starts_on", "entre le 01/01/1990 et le 31/12/2100"),
        ({"budget": "1e30"}, "budget", "trop grand"),
    ],
)
def test_invalid_input_is_refused_in_french_and_changes_nothing(
    session, officer, action, change, field, fragment
):
    with pytest.raises(ValidationFailed) as raised:
        plan_commands.update_action(session, officer, action.id, 1, change)

    assert fragment in raised.value.errors[field]
    saved = session.get(Action, action.id, populate_existing=True)
    assert (saved.version, saved.progress, saved.title) == (1, 20, "Action PE-01")
    assert log_of(session, "action", action.id) == []


def test_officer_of_another_territory_is_refused(session, world, action):
    stranger = world.user(Role.coop_officer, territories=[world.territory(CARENE)])
    with pytest.raises(PermissionDenied, match="modifier cette action"):
        plan_commands.update_action(session, stranger, action.id, 1, {"progress": 90})
    assert session.get(Action, action.id, populate_existing=True).progress == 20


@pytest.mark.parametrize("role", [Role.caf_manager, Role.committee])
def test_readers_cannot_write(session, world, action, role):
    reader = world.user(role, territories=[world.territory()])
    with pytest.raises(PermissionDenied):
        plan_commands.update_action(session, reader, action.id, 1, {"progress": 90})


def test_advisor_edits_only_conventions_of_their_portfolio(session, world):
    mine, theirs = world.user(Role.caf_advisor), world.user(Role.caf_advisor)
    convention = world.convention(advisor=mine)
    action = world.action(convention)
    plan_commands.update_action(session, mine, action.id, 1, {"lead": "CCAS"})
    with pytest.raises(PermissionDenied):
        plan_commands.update_action(session, theirs, action.id, 2, {"lead": "Mairie"})


def test_unknown_action_is_a_clear_not_found(session, officer):
    with pytest.raises(NotFound, match="introuvable"):
        plan_commands.update_action(session, officer, 999_999, 1, {"progress": 10})


def test_create_action_validates_and_logs(session, officer, convention, world):
    action = plan_commands.create_action(
        session,
        officer,
        convention.id,
        {
            "axis_id": world.axis("EJ").id,
            "code": "EJ-07",
            "title": "Espace jeunes",
            "starts_on": date(2026, 1, 1),
            "due_on": date(2026, 12, 31),
            "budget": "12500.50",
        },
    )
    assert action.version == 1
    assert [e.operation for e in log_of(session, "action", action.id)] == ["create"]
    with pytest.raises(ValidationFailed, match="déjà utilisé"):
        plan_commands.create_action(
            session,
            officer,
            convention.id,
            {"axis_id": world.axis("EJ").id, "code": "EJ-07", "title": "Doublon"},
        )


def test_archived_action_stays_in_history_and_is_no_longer_editable(session, world, action):
    advisor = world.user(Role.admin)
    plan_commands.archive_action(session, advisor, action.id, 1)
    saved = session.get(Action, action.id, populate_existing=True)
    assert saved.archived_at is not None
    assert [e.operation for e in log_of(session, "action", action.id)] == ["archive"]
    with pytest.raises(ValidationFailed, match="archivée"):
        plan_commands.update_action(session, advisor, action.id, 2, {"progress": 50})


def test_phase_change_is_recorded_with_its_date(session, world):
    advisor = world.user(Role.caf_advisor)
    convention = world.convention(
        phase=ConventionPhase.plan_actions, advisor=advisor, signed_on=None
    )
    plan_commands.update_convention(
        session,
        advisor,
        convention.id,
        1,
        {"phase": "pilotage", "signed_on": date(2026, 3, 2)},
        phase_reached_on=date(2026, 3, 2),
    )
    steps = session.exec(
        select(PhaseChange)
        .where(PhaseChange.convention_id == convention.id)
        .order_by(PhaseChange.id)
    ).all()
    assert [(s.phase, s.reached_on) for s in steps][-1] == (
        ConventionPhase.pilotage,
        date(2026, 3, 2),
    )
    assert session.get(Convention, convention.id, populate_existing=True).version == 2


def test_convention_in_pilotage_needs_a_signature_date(session, world):
    advisor = world.user(Role.caf_advisor)
    convention = world.convention(phase=ConventionPhase.diagnostic, advisor=advisor, signed_on=None)
    with pytest.raises(ValidationFailed) as raised:
        plan_commands.update_convention(session, advisor, convention.id, 1, {"phase": "pilotage"})
    assert "signed_on" in raised.value.errors


def test_only_an_admin_adds_an_axis(session, world):
    with pytest.raises(PermissionDenied):
        plan_commands.add_axis(
            session, world.user(Role.caf_manager), {"code": "SAN", "label": "Santé"}
        )
    axis = plan_commands.add_axis(
        session, world.user(Role.admin), {"code": "SAN", "label": "Santé"}
    )
    assert session.get(Axis, axis.id).position == 8
    with pytest.raises(ValidationFailed):
        plan_commands.add_axis(session, world.user(Role.admin), {"code": "X", "label": "santé"})


def test_create_convention_by_advisor_lands_in_their_portfolio(session, world):
    advisor = world.user(Role.caf_advisor)
    convention = plan_commands.create_convention(
        session, advisor, {"territory_id": world.territory().id, "title": "CTG 2027-2031"}
    )
    assert convention.advisor_id == advisor.id
    assert convention.phase == ConventionPhase.preparation
    with pytest.raises(PermissionDenied):
        plan_commands.create_convention(
            session, world.user(Role.coop_officer), {"territory_id": 1, "title": "X"}
        )


def test_late_status_is_derived_not_stored(session, world, convention):
    action = world.action(convention, due_on=date(2026, 1, 31), status=ActionStatus.en_cours)
    assert "late" not in Action.model_fields
    assert action.due_on < date(2026, 11, 25)


def test_a_refused_edit_during_a_meeting_is_logged_against_that_meeting(session, officer, action):
    meeting = Meeting(
        convention_id=action.convention_id, kind=MeetingKind.copil, held_on=date(2026, 11, 25)
    )
    session.add(meeting)
    session.commit()
    plan_commands.update_action(
        session, officer, action.id, 1, {"progress": 40}, meeting_id=meeting.id
    )
    with pytest.raises(ConflictError):
        plan_commands.update_action(
            session, officer, action.id, 1, {"progress": 60}, meeting_id=meeting.id
        )
    entries = log_of(session, "action", action.id)
    assert [(e.operation, e.meeting_id) for e in entries] == [
        ("update", meeting.id),
        ("conflict", meeting.id),
    ]


def test_an_advisor_cannot_claim_an_unassigned_convention_nor_hand_theirs_over(session, world):
    advisor, colleague = world.user(Role.caf_advisor), world.user(Role.caf_advisor)
    unassigned = world.convention(world.territory(CARENE))
    with pytest.raises(PermissionDenied):
        plan_commands.update_convention(
            session, advisor, unassigned.id, 1, {"advisor_id": advisor.id}
        )
    mine = world.convention(advisor=advisor)
    with pytest.raises(PermissionDenied, match="autre conseiller"):
        plan_commands.update_convention(session, advisor, mine.id, 1, {"advisor_id": colleague.id})
    with pytest.raises(PermissionDenied, match="autre conseiller"):
        plan_commands.create_convention(
            session,
            advisor,
            {"territory_id": world.territory().id, "title": "CTG", "advisor_id": colleague.id},
        )
    assert session.get(Convention, mine.id, populate_existing=True).advisor_id == advisor.id


def test_an_admin_reassigns_a_convention_only_to_an_active_advisor(session, world):
    admin, advisor = world.user(Role.admin), world.user(Role.caf_advisor)
    officer = world.user(Role.coop_officer)
    convention = world.convention()
    with pytest.raises(ValidationFailed, match="conseiller Caf actif"):
        plan_commands.update_convention(
            session, admin, convention.id, 1, {"advisor_id": officer.id}
        )
    plan_commands.update_convention(session, admin, convention.id, 1, {"advisor_id": advisor.id})
    assert session.get(Convention, convention.id, populate_existing=True).advisor_id == advisor.id


def test_the_same_amount_written_differently_is_not_a_change(session, officer, world, convention):
    action = world.action(convention, "PE-03", budget=Decimal("12500.00"))
    plan_commands.update_action(session, officer, action.id, 1, {"budget": "12500"})
    assert session.get(Action, action.id, populate_existing=True).version == 1
    assert log_of(session, "action", action.id) == []


@pytest.mark.parametrize(("typed", "stored"), [("12 500,50 €", Decimal("12500.50")), ("", None)])
def test_a_budget_typed_the_french_way_is_read_by_the_core(session, officer, action, typed, stored):
    plan_commands.update_action(session, officer, action.id, 1, {"budget": typed})
    assert session.get(Action, action.id, populate_existing=True).budget == stored
