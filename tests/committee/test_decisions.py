"""Typed decisions (décision, information, action à mener creating a fiche), attendance per
participant, and meetings that keep their identity — on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.common.errors import ConflictError, ValidationFailed
from ctg_core.common.models import (
    Action,
    Attendance,
    ChangeLog,
    Decision,
    DecisionKind,
    Meeting,
    Role,
)
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from tests.conftest import TODAY


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def convention(world):
    return world.convention()


@pytest.fixture
def meeting(session, officer, convention):
    return committee.create_meeting(
        session,
        officer,
        convention.id,
        {"kind": "copil", "held_on": TODAY, "attendees": ["Anne Le Goff", "Loïc Guého"]},
        today=TODAY,
    )


ACTION_TO_CARRY_OUT = {
    "text": "Ouvrir un relais petite enfance itinérant",
    "kind": "action",
    "new_lead": "Service petite enfance",
    "new_due_on": "30/06/2027",
}


def test_an_action_to_carry_out_creates_its_fiche_in_the_plan_linked_to_the_meeting(
    session, world, officer, convention, meeting
):
    world.action(convention, "PE-01")
    world.action(convention, "PE-06")
    axis = world.axis("PE")
    decision = committee.record_decision(
        session, officer, meeting.id, {**ACTION_TO_CARRY_OUT, "new_axis_id": axis.id}
    )

    fiche = session.get(Action, decision.created_action_id)
    assert (fiche.code, fiche.title, fiche.lead, fiche.due_on, fiche.axis_id) == (
        "PE-07",
        "Ouvrir un relais petite enfance itinérant",
        "Service petite enfance",
        date(2027, 6, 30),
        axis.id,
    )
    created = session.exec(
        select(ChangeLog).where(ChangeLog.entity == "action", ChangeLog.entity_id == fiche.id)
    ).one()
    assert (created.operation, created.meeting_id) == ("create", meeting.id)
    assert (
        "PE-07"
        in plan_queries.actions_frame(session, officer, convention.id, TODAY)["code"].tolist()
    )
    [shown] = committee_queries.meeting_detail(session, officer, meeting.id).decisions
    assert (shown.kind, shown.created_action) == (
        DecisionKind.action,
        "PE-07 — Ouvrir un relais petite enfance itinérant "
        "(pilote : Service petite enfance, échéance : 30/06/2027)",
    )


def test_an_action_to_carry_out_needs_an_axis_and_a_due_date(session, officer, meeting):
    with pytest.raises(ValidationFailed) as raised:
        committee.record_decision(session, officer, meeting.id, {**ACTION_TO_CARRY_OUT})
    assert raised.value.errors == {"new_axis_id": "Choisissez l'axe de l'action à mener."}
    with pytest.raises(ValidationFailed) as raised:
        committee.record_decision(
            session, officer, meeting.id, {"text": "Faire", "kind": "action", "new_axis_id": 1}
        )
    assert raised.value.errors == {"new_due_on": "Donnez une échéance à l'action à mener."}
    assert session.exec(select(Decision)).all() == []


def test_a_refused_quick_update_rolls_back_the_action_its_decision_would_have_created(
    session, world, officer, convention, meeting
):
    action = world.action(convention, "PE-01", progress=20)
    colleague = world.user(Role.coop_officer, name="Yann Collègue", territories=[world.territory()])
    plan_commands.update_action(session, colleague, action.id, 1, {"progress": 30})
    decision = {**ACTION_TO_CARRY_OUT, "new_axis_id": world.axis("PE").id}

    with pytest.raises(ConflictError):
        committee.quick_update(
            session, officer, meeting.id, action.id, 1, {"progress": 60}, decision=decision
        )
    assert session.exec(select(Action.code)).all() == ["PE-01"]
    assert session.exec(select(Decision)).all() == []


def test_a_quick_update_with_an_action_to_carry_out_saves_both_in_one_go(
    session, world, officer, convention, meeting
):
    action = world.action(convention, "EJ-01", progress=20)
    result = committee.quick_update(
        session,
        officer,
        meeting.id,
        action.id,
        1,
        {"progress": "40 %"},
        decision={**ACTION_TO_CARRY_OUT, "new_axis_id": world.axis("EJ").id},
    )
    decision = session.get(Decision, result.decision_id)
    assert (decision.kind, decision.action_id) == (DecisionKind.action, action.id)
    assert session.get(Action, result.created_action_id).code == "EJ-02"
    assert session.get(Action, action.id, populate_existing=True).progress == 40


def test_information_and_confidential_decisions_are_typed(session, officer, meeting):
    committee.record_decision(
        session, officer, meeting.id, {"text": "Le RPE déménage", "kind": "information"}
    )
    committee.record_decision(
        session, officer, meeting.id, {"text": "Budget réservé", "confidential": True}
    )
    with pytest.raises(ValidationFailed) as raised:
        committee.record_decision(session, officer, meeting.id, {"text": "X", "kind": "vœu"})
    assert raised.value.errors == {"kind": "Choisissez : décision, information ou action à mener."}

    decisions = committee_queries.meeting_detail(session, officer, meeting.id).decisions
    assert [(d.text, d.kind, d.confidential) for d in decisions] == [
        ("Le RPE déménage", DecisionKind.information, False),
        ("Budget réservé", DecisionKind.decision, True),
    ]


# --- attendance ------------------------------------------------------------------------------


def test_attendance_is_recorded_per_participant(session, officer, meeting):
    committee.record_attendance(
        session,
        officer,
        meeting.id,
        1,
        {"attendance": {"Anne Le Goff": "present", "Loïc Guého": "excuse"}},
    )
    committee.record_attendance(
        session, officer, meeting.id, 2, {"attendance": {"Loïc Guého": "absent"}}
    )

    assert committee_queries.meeting_detail(session, officer, meeting.id).attendance == {
        "Anne Le Goff": Attendance.present,
        "Loïc Guého": Attendance.absent,
    }
    last = session.exec(
        select(ChangeLog).where(ChangeLog.entity == "meeting").order_by(ChangeLog.id.desc())  # type: ignore[union-attr]
    ).first()
    assert last.changes == {"attendance": ["Loïc Guého : Excusé", "Loïc Guého : Absent"]}


def test_attendance_is_refused_for_someone_not_invited(session, officer, meeting):
    with pytest.raises(ValidationFailed) as raised:
        committee.record_attendance(
            session, officer, meeting.id, 1, {"attendance": {"Inconnu": "present"}}
        )
    assert raised.value.errors == {
        "attendance": "Inconnu n'est pas parmi les participants de la réunion."
    }


def test_removing_a_participant_drops_their_attendance(session, officer, meeting):
    committee.record_attendance(
        session, officer, meeting.id, 1, {"attendance": {"Loïc Guého": "present"}}
    )
    committee.update_meeting(session, officer, meeting.id, 2, {"attendees": ["Anne Le Goff"]})
    assert session.get(Meeting, meeting.id, populate_existing=True).attendance == {}


# --- identity --------------------------------------------------------------------------------


def test_three_copil_on_the_same_day_get_three_labels_and_keep_their_own_updates(
    session, world, officer, convention
):
    action = world.action(convention, "PE-01", due_on=date(2026, 1, 31), progress=10)
    meetings = [
        committee.create_meeting(
            session, officer, convention.id, {"kind": "copil", "held_on": TODAY}, today=TODAY
        )
        for _ in range(3)
    ]
    for version, (meeting, progress) in enumerate(zip(meetings, (20, 30, 40), strict=True), 1):
        committee.quick_update(
            session, officer, meeting.id, action.id, version, {"progress": progress}
        )

    rows = committee_queries.meetings_of(session, officer, convention.id)
    assert sorted(r.name for r in rows) == [
        "COPIL n° 1 du 25/11/2026",
        "COPIL n° 2 du 25/11/2026",
        "COPIL n° 3 du 25/11/2026",
    ]
    for meeting, progress in zip(meetings, (20, 30, 40), strict=True):
        [update] = committee_queries.updates_during(session, officer, meeting.id)
        assert update.progress_after == progress


def test_a_meeting_keeps_its_kind_its_number_depends_on_it(session, officer, meeting):
    with pytest.raises(ValidationFailed) as raised:
        committee.update_meeting(session, officer, meeting.id, 1, {"kind": "cotech"})
    assert "ne change pas" in raised.value.errors["kind"]
