"""Committees: automatic agenda, live updates linked to the meeting, decisions, closing with
a snapshot — on both databases."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlmodel import select

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.common.errors import ConflictError, PermissionDenied, ValidationFailed
from ctg_core.common.models import (
    Action,
    ActionStatus,
    AgendaItem,
    ChangeLog,
    Decision,
    Indicator,
    IndicatorDirection,
    IndicatorValue,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PlanSnapshot,
    Role,
)
from ctg_core.indicators import charts as indicator_charts
from ctg_core.indicators import queries as indicator_queries
from ctg_core.plan import commands as plan_commands
from tests.conftest import TODAY
from tests.factories import CARENE


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def convention(world):
    return world.convention()


def copil(session, user, convention, held_on=TODAY, **extra):
    data = {"kind": "copil", "held_on": held_on, "place": "Salle du conseil", **extra}
    return committee.create_meeting(session, user, convention.id, data, today=TODAY)


def close(session, user, meeting):
    fresh = session.get(Meeting, meeting.id, populate_existing=True)
    return committee.close_meeting(session, user, meeting.id, fresh.version)


def agenda_codes(session, user, meeting):
    return [
        (row.code, row.reasons)
        for row in committee_queries.agenda(session, user, meeting.id, TODAY)
    ]


@pytest.fixture
def plan(session, world, officer, convention):
    """A plan where each action has one memorable reason to be (or not be) on the agenda.

    TODAY is 25/11/2026: "due soon" runs to 25/02/2027.
    """
    a = {}
    a["AVS-01"] = world.action(
        convention, "AVS-01", due_on=date(2026, 3, 31), vigilance="Local non trouvé"
    )
    a["PE-01"] = world.action(convention, "PE-01", due_on=date(2026, 6, 30))
    a["PE-02"] = world.action(
        convention, "PE-02", due_on=date(2026, 6, 30), status=ActionStatus.realisee, progress=100
    )
    a["EJ-01"] = world.action(
        convention, "EJ-01", due_on=date(2027, 12, 31), vigilance="Partenaire en retrait"
    )
    a["EJ-02"] = world.action(convention, "EJ-02", due_on=date(2027, 1, 31))
    a["EJ-03"] = world.action(
        convention, "EJ-03", due_on=date(2027, 2, 10), status=ActionStatus.a_venir, progress=0
    )
    a["EJ-04"] = world.action(
        convention, "EJ-04", due_on=date(2027, 2, 10), status=ActionStatus.abandonnee
    )
    a["PA-01"] = world.action(convention, "PA-01", due_on=date(2027, 6, 30))
    a["PA-02"] = world.action(convention, "PA-02", due_on=date(2027, 6, 30))
    a["LOG-01"] = world.action(convention, "LOG-01", due_on=date(2026, 1, 31))
    admin = world.user(Role.admin)
    plan_commands.archive_action(session, admin, a["LOG-01"].id, 1)
    other = world.convention(world.territory(CARENE))
    world.action(other, "PE-01", due_on=date(2025, 1, 1))

    # PA-02 changed before the previous COPIL was closed; PA-01 after it.
    plan_commands.update_action(session, officer, a["PA-02"].id, 1, {"progress": 30})
    previous = copil(session, officer, convention, held_on=date(2026, 9, 15))
    close(session, officer, previous)
    plan_commands.update_action(session, officer, a["PA-01"].id, 1, {"progress": 45})
    return a


def test_agenda_lists_exactly_the_actions_that_need_the_committee(
    session, officer, plan, convention
):
    meeting = copil(session, officer, convention)

    assert agenda_codes(session, officer, meeting) == [
        ("AVS-01", ("late", "vigilance")),
        ("PE-01", ("late",)),
        ("EJ-01", ("vigilance",)),
        ("EJ-02", ("due_soon",)),
        ("EJ-03", ("due_soon",)),
        ("PA-01", ("changed",)),
    ]
    saved = session.get(Meeting, meeting.id)
    assert (saved.status, saved.place, saved.created_by_id) == (
        MeetingStatus.planned,
        "Salle du conseil",
        officer.id,
    )


def test_an_agenda_for_a_meeting_ahead_is_judged_at_its_date(session, officer, convention, world):
    world.action(convention, "PE-01", due_on=date(2027, 1, 15))
    world.action(convention, "PE-02", due_on=date(2027, 5, 1))
    meeting = copil(session, officer, convention, held_on=date(2027, 2, 10))
    assert agenda_codes(session, officer, meeting) == [
        ("PE-01", ("late",)),
        ("PE-02", ("due_soon",)),
    ]


def test_facilitator_reorders_adds_and_removes_points(session, officer, plan, convention):
    convention_id = plan["PE-01"].convention_id
    meeting = copil(session, officer, convention)
    rows = committee_queries.agenda(session, officer, meeting.id, TODAY)

    committee.move_agenda_item(session, officer, rows[1].item_id, -1)  # PE-01 up
    committee.move_agenda_item(session, officer, rows[0].item_id, +5)  # AVS-01 to the end
    committee.add_agenda_item(session, officer, meeting.id, action_id=plan["PE-02"].id)
    committee.add_agenda_item(session, officer, meeting.id, title="  Questions   diverses ")
    committee.remove_agenda_item(session, officer, rows[2].item_id)  # EJ-01

    after = committee_queries.agenda(session, officer, meeting.id, TODAY)
    assert [(r.code or r.title) for r in after] == [
        "PE-01",
        "EJ-02",
        "EJ-03",
        "PA-01",
        "AVS-01",
        "PE-02",
        "Questions diverses",
    ]
    assert [r.position for r in after] == list(range(7))
    assert after[-2].reasons == ("manual",)
    with pytest.raises(ValidationFailed, match="déjà à l'ordre du jour"):
        committee.add_agenda_item(session, officer, meeting.id, action_id=plan["PE-02"].id)
    with pytest.raises(ValidationFailed, match="vide"):
        committee.add_agenda_item(session, officer, meeting.id, title="   ")
    assert convention_id == meeting.convention_id


def test_refresh_adds_new_needs_and_drops_points_no_longer_needed(
    session, world, officer, plan, convention
):
    meeting = copil(session, officer, convention)
    # EJ-02 is finished early; EJ-01's vigilance is lifted; PE-02 gets one.
    plan_commands.update_action(
        session, officer, plan["EJ-02"].id, 1, {"status": "realisee", "progress": 100}
    )
    plan_commands.update_action(session, officer, plan["EJ-01"].id, 1, {"vigilance": ""})
    plan_commands.update_action(
        session, officer, plan["PE-02"].id, 1, {"vigilance": "Bilan à relire"}
    )
    plan_commands.archive_action(session, world.user(Role.admin), plan["EJ-03"].id, 1)
    # Refresh is built at the meeting: changes since the previous COPIL count as "changed".
    result = committee.refresh_agenda(session, officer, meeting.id, today=TODAY)

    codes = dict(agenda_codes(session, officer, meeting))
    assert codes["EJ-01"] == ("changed",)
    assert codes["EJ-02"] == ("changed",)
    assert codes["PE-02"] == ("vigilance", "changed")
    assert "EJ-03" not in codes
    assert (result.added, result.removed) == (1, 1)


def test_quick_update_saves_links_to_the_meeting_and_records_the_decision_in_one_go(
    session, officer, plan, convention
):
    meeting = copil(session, officer, convention)
    result = committee.quick_update(
        session,
        officer,
        meeting.id,
        plan["PE-01"].id,
        1,
        {"progress": 60, "last_comment": "Ouverture reportée à janvier"},
        decision="Relancer la commune avant le 15/12",
    )

    assert result.changes == {
        "progress": [20, 60],
        "last_comment": ["", "Ouverture reportée à janvier"],
    }
    assert result.new_version == 2
    [entry] = session.exec(
        select(ChangeLog).where(ChangeLog.entity == "action", ChangeLog.meeting_id == meeting.id)
    ).all()
    assert (entry.entity_id, entry.user_name) == (plan["PE-01"].id, "Nadia Officier")
    [decision] = session.exec(select(Decision).where(Decision.meeting_id == meeting.id)).all()
    assert (decision.action_id, decision.text) == (
        plan["PE-01"].id,
        "Relancer la commune avant le 15/12",
    )
    item = session.exec(
        select(AgendaItem).where(
            AgendaItem.meeting_id == meeting.id, AgendaItem.action_id == plan["PE-01"].id
        )
    ).one()
    assert item.reviewed_at is not None
    updates = committee_queries.updates_during(session, officer, meeting.id)
    assert [(u.code, u.progress_before, u.progress_after) for u in updates] == [("PE-01", 20, 60)]


def test_a_conflicting_quick_update_saves_nothing_not_even_its_decision(
    session, world, officer, plan, convention
):
    meeting = copil(session, officer, convention)
    colleague = world.user(Role.coop_officer, name="Yann Collègue", territories=[world.territory()])
    committee.quick_update(session, colleague, meeting.id, plan["PE-01"].id, 1, {"progress": 50})

    with pytest.raises(ConflictError) as raised:
        committee.quick_update(
            session, officer, meeting.id, plan["PE-01"].id, 1, {"progress": 70}, decision="X"
        )
    assert raised.value.info.changed_by == "Yann Collègue"
    assert raised.value.info.current_values == {"progress": 50}
    assert session.get(Action, plan["PE-01"].id, populate_existing=True).progress == 50
    assert session.exec(select(Decision).where(Decision.meeting_id == meeting.id)).all() == []
    operations = [
        (e.operation, e.user_name)
        for e in session.exec(
            select(ChangeLog)
            .where(ChangeLog.entity == "action", ChangeLog.entity_id == plan["PE-01"].id)
            .order_by(ChangeLog.id)
        )
    ]
    assert operations == [("update", "Yann Collègue"), ("conflict", "Nadia Officier")]


def test_an_invalid_quick_update_is_refused_in_french(session, officer, plan, convention):
    meeting = copil(session, officer, convention)
    with pytest.raises(ValidationFailed) as raised:
        committee.quick_update(
            session, officer, meeting.id, plan["PE-01"].id, 1, {"status": "realisee"}
        )
    assert "réalisée est avancée à 100" in raised.value.errors["progress"]
    with pytest.raises(ValidationFailed, match="n'est pas modifiable ici"):
        committee.quick_update(session, officer, meeting.id, plan["PE-01"].id, 1, {"title": "X"})
    assert session.get(Action, plan["PE-01"].id, populate_existing=True).version == 1


def test_committee_members_read_but_cannot_run_a_meeting(session, world, officer, plan, convention):
    convention = convention
    member = world.user(Role.committee, territories=[world.territory()])
    meeting = copil(session, officer, convention)
    assert committee_queries.meeting_detail(session, member, meeting.id).can_run is False
    assert len(committee_queries.agenda(session, member, meeting.id, TODAY)) == 6
    with pytest.raises(PermissionDenied):
        copil(session, member, convention)
    with pytest.raises(PermissionDenied):
        committee.quick_update(session, member, meeting.id, plan["PE-01"].id, 1, {"progress": 90})
    stranger = world.user(Role.committee, territories=[world.territory(CARENE)])
    with pytest.raises(PermissionDenied):
        committee_queries.meeting_detail(session, stranger, meeting.id)


def test_meeting_input_is_validated_in_french(session, officer, convention):
    with pytest.raises(ValidationFailed) as raised:
        copil(session, officer, convention, next_meeting_on=date(2026, 1, 1))
    assert raised.value.errors == {"next_meeting_on": "La prochaine réunion doit suivre celle-ci."}
    with pytest.raises(ValidationFailed) as raised:
        committee.create_meeting(session, officer, convention.id, {"kind": "copil"}, today=TODAY)
    assert raised.value.errors == {"held_on": "Date est obligatoire."}
    meeting = copil(session, officer, convention, attendees=["Anne", " anne ", "", "Loïc"])
    assert session.get(Meeting, meeting.id).attendees == ["Anne", "Loïc"]


def test_closing_freezes_the_plan_and_a_later_view_compares_with_it(
    session, officer, convention, world
):
    first = world.action(convention, "PE-01", progress=20, vigilance="Retard du chantier")
    second = world.action(convention, "PE-02", progress=50)
    meeting = copil(session, officer, convention)
    committee.close_meeting(
        session, officer, meeting.id, 1, {"minutes": "Échanges nourris.", "next_steps": "Bilan"}
    )
    plan_commands.update_action(session, officer, first.id, 1, {"progress": 80, "vigilance": ""})
    third = world.action(convention, "PE-03")

    closed = session.get(Meeting, meeting.id, populate_existing=True)
    assert (closed.status, closed.version, closed.minutes) == (
        MeetingStatus.closed,
        2,
        "Échanges nourris.",
    )
    snaps = session.exec(select(PlanSnapshot).where(PlanSnapshot.meeting_id == meeting.id)).all()
    assert sorted((s.action_id, s.progress) for s in snaps) == [(first.id, 20), (second.id, 50)]

    frame = committee_queries.compare_with_snapshot(session, officer, convention.id).set_index(
        "code"
    )
    assert frame.attrs["meeting"].id == meeting.id
    assert frame.loc["PE-01", ["progress_then", "progress_now", "progress_delta"]].tolist() == [
        20,
        80,
        60,
    ]
    assert frame.loc["PE-01", "vigilance_then"] == "Retard du chantier"
    assert frame.loc["PE-02", "progress_delta"] == 0
    assert pd.isna(frame.loc["PE-03", "progress_then"])
    assert third.id in frame["action_id"].tolist()


def test_a_closed_meeting_takes_no_more_updates(session, officer, convention, world):
    action = world.action(convention, "PE-01", due_on=date(2026, 1, 1))
    meeting = copil(session, officer, convention)
    close(session, officer, meeting)
    for attempt in (
        lambda: committee.quick_update(session, officer, meeting.id, action.id, 1, {"progress": 5}),
        lambda: committee.record_decision(session, officer, meeting.id, "Trop tard"),
        lambda: close(session, officer, meeting),
        lambda: plan_commands.update_action(
            session, officer, action.id, 1, {"progress": 5}, meeting_id=meeting.id
        ),
    ):
        with pytest.raises(ValidationFailed, match="clôturée"):
            attempt()


def test_two_people_closing_from_the_same_version_one_wins(session, world, officer, convention):
    meeting = copil(session, officer, convention)
    advisor = world.user(Role.admin, name="Camille Admin")
    committee.update_meeting(session, advisor, meeting.id, 1, {"place": "Mairie annexe"})
    with pytest.raises(ConflictError) as raised:
        committee.close_meeting(session, officer, meeting.id, 1)
    assert raised.value.info.changed_by == "Camille Admin"
    assert session.get(Meeting, meeting.id, populate_existing=True).status is MeetingStatus.planned
    assert session.exec(select(PlanSnapshot)).all() == []


def test_changes_since_the_previous_committee_show_old_new_and_who(
    session, world, officer, convention
):
    action = world.action(convention, "PE-01", progress=20)
    previous = copil(session, officer, convention, held_on=date(2026, 6, 1))
    close(session, officer, previous)
    colleague = world.user(Role.coop_officer, name="Yann Collègue", territories=[world.territory()])
    plan_commands.update_action(
        session, officer, action.id, 1, {"progress": 40, "last_comment": "Go"}
    )
    plan_commands.update_action(
        session, colleague, action.id, 2, {"progress": 100, "status": "realisee"}
    )
    meeting = copil(session, officer, convention)

    [evolution] = committee_queries.changes_since_previous(session, officer, meeting.id)
    assert (evolution.code, evolution.progress_before, evolution.progress_after) == (
        "PE-01",
        20,
        100,
    )
    assert (evolution.status_before, evolution.status_after) == (
        ActionStatus.en_cours,
        ActionStatus.realisee,
    )
    assert evolution.comments == ["Go"]
    assert evolution.people == ["Nadia Officier", "Yann Collègue"]
    history = committee_queries.action_history_since(
        session,
        officer,
        action.id,
        committee_queries.meeting_detail(session, officer, meeting.id).since,
    )
    assert [h.user_name for h in history] == ["Yann Collègue", "Nadia Officier"]


def test_decisions_are_recorded_against_the_meeting_and_optionally_an_action(
    session, officer, convention, world
):
    action = world.action(convention, "PE-01")
    meeting = copil(session, officer, convention)
    committee.record_decision(session, officer, meeting.id, "Valider le calendrier")
    committee.record_decision(session, officer, meeting.id, "Relancer", action_id=action.id)
    with pytest.raises(ValidationFailed) as raised:
        committee.record_decision(session, officer, meeting.id, "   ")
    assert raised.value.errors == {"text": "Décision ne peut pas être vide."}

    detail = committee_queries.meeting_detail(session, officer, meeting.id)
    assert [(d.text, d.action_code) for d in detail.decisions] == [
        ("Valider le calendrier", ""),
        ("Relancer", "PE-01"),
    ]
    logged = session.exec(
        select(ChangeLog).where(ChangeLog.entity == "decision", ChangeLog.meeting_id == meeting.id)
    ).all()
    assert len(logged) == 2


def test_an_action_shows_its_own_indicators_else_those_of_its_axis(
    session, officer, convention, world
):
    action = world.action(convention, "PE-01")
    other = world.action(convention, "EJ-01")
    axis_wide = Indicator(
        convention_id=convention.id,
        axis_id=world.axis("PE").id,
        name="Places d'accueil",
        unit="places",
    )
    session.add(axis_wide)
    session.flush()
    session.add_all(
        [
            IndicatorValue(indicator_id=axis_wide.id, year=2024, value=120),
            IndicatorValue(indicator_id=axis_wide.id, year=2025, value=135.5),
        ]
    )
    own = Indicator(convention_id=convention.id, action_id=other.id, name="Jeunes accueillis")
    session.add(own)
    session.commit()

    shown = indicator_queries.action_indicators(session, officer, action.id)
    assert (shown.of_action, [s.name for s in shown.series]) == (False, ["Places d'accueil"])
    assert shown.series[0].points["value"].tolist() == [120, 135.5]
    shown = indicator_queries.action_indicators(session, officer, other.id)
    assert (shown.of_action, [s.name for s in shown.series]) == (True, ["Jeunes accueillis"])


def test_a_sparkline_draws_values_and_target_and_says_what_it_shows():
    series = indicator_queries.IndicatorSeries(
        id=1,
        name="Places d'accueil",
        unit="places",
        direction=IndicatorDirection.higher_is_better,
        baseline_value=120,
        baseline_year=2024,
        target_value=150,
        target_year=2027,
        source="Caf",
        action_id=None,
        axis_id=None,
        points=pd.DataFrame(
            {
                "year": [2024, 2025],
                "measured_on": [None, None],
                "value": [120.0, 135.5],
                "source": "",
            }
        ),
    )
    spec = indicator_charts.sparkline(series).to_dict()
    assert len(spec["layer"]) == 3  # line, points, target rule
    assert indicator_charts.sparkline_data(series)["Libellé"].tolist() == [
        "120,0 places",
        "135,5 places",
    ]
    assert indicator_charts.describe(series) == (
        "Places d'accueil : 120,0 places en 2024, 135,5 places en 2025 ; "
        "cible 150,0 places en 2027."
    )


def test_now_can_be_compared_with_the_last_copil_even_after_a_cotech(
    session, officer, convention, world
):
    action = world.action(convention, "PE-01", progress=10)
    first = copil(session, officer, convention, held_on=date(2026, 6, 1))
    close(session, officer, first)
    plan_commands.update_action(session, officer, action.id, 1, {"progress": 30})
    cotech = committee.create_meeting(
        session,
        officer,
        convention.id,
        {"kind": "cotech", "held_on": date(2026, 9, 1)},
        today=TODAY,
    )
    close(session, officer, cotech)
    plan_commands.update_action(session, officer, action.id, 2, {"progress": 60})

    last = committee_queries.compare_with_snapshot(session, officer, convention.id)
    at_copil = committee_queries.compare_with_snapshot(
        session, officer, convention.id, kind=MeetingKind.copil
    )
    assert last.attrs["meeting"].id == cotech.id
    assert last["progress_then"].tolist() == [30]
    assert at_copil.attrs["meeting"].id == first.id
    assert at_copil["progress_then"].tolist() == [10]
    assert at_copil["progress_delta"].tolist() == [50]
