"""The agenda of a meeting: timed points against the meeting's length, a backlog of parked
points that the next meeting offers again, and every agenda write audited and refused
when someone changed the agenda since the page showed it — on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.committee.commands import AgendaConflict
from ctg_core.common.errors import ValidationFailed
from ctg_core.common.models import ActionStatus, AgendaItem, ChangeLog, Meeting, Role
from tests.conftest import TODAY


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def convention(world):
    return world.convention()


@pytest.fixture
def meeting(session, world, officer, convention):
    """A COPIL whose agenda holds, in order: PE-01 (late), EJ-01 (vigilance), EJ-02 (due
    soon). TODAY is 25/11/2026."""
    world.action(convention, "PE-01", due_on=date(2026, 6, 30))
    world.action(convention, "EJ-01", due_on=date(2027, 12, 31), vigilance="Partenaire absent")
    world.action(convention, "EJ-02", due_on=date(2027, 1, 31))
    world.action(convention, "PA-01", due_on=date(2027, 12, 31))  # nothing to discuss
    return committee.create_meeting(
        session, officer, convention.id, {"kind": "copil", "held_on": TODAY}, today=TODAY
    )


def rows(session, user, meeting):
    return committee_queries.agenda(session, user, meeting.id, TODAY)


def agenda_version(session, meeting):
    return session.get(Meeting, meeting.id, populate_existing=True).agenda_version


def detail(session, user, meeting):
    return committee_queries.meeting_detail(session, user, meeting.id)


# --- durations -------------------------------------------------------------------------------


def test_points_get_a_duration_from_their_reason_and_the_meeting_a_length_from_its_kind(
    session, officer, meeting, convention
):
    free = committee.add_agenda_item(session, officer, meeting.id, title="Questions diverses")
    cotech = committee.create_meeting(
        session, officer, convention.id, {"kind": "cotech", "held_on": TODAY}, today=TODAY
    )

    assert [(r.code or r.title, r.planned_minutes) for r in rows(session, officer, meeting)] == [
        ("PE-01", 10),  # late
        ("EJ-01", 8),  # vigilance
        ("EJ-02", 5),  # due soon
        ("Questions diverses", 10),  # free point
    ]
    assert free.planned_minutes == 10
    assert detail(session, officer, meeting).planned_minutes == 120
    assert detail(session, officer, cotech).planned_minutes == 90


def test_the_agenda_adds_up_its_points_and_flags_an_overrun(session, officer, meeting):
    committee.update_meeting(session, officer, meeting.id, 1, {"planned_minutes": "30"})
    first = rows(session, officer, meeting)[0]
    committee.update_agenda_item(
        session, officer, first.item_id, {"planned_minutes": "25", "presenter": "Mme Caradec"}
    )

    shown = rows(session, officer, meeting)
    timing = committee_queries.agenda_timing(shown, detail(session, officer, meeting))
    assert (shown[0].planned_minutes, shown[0].presenter) == (25, "Mme Caradec")
    assert timing.starts == (0, 25, 33)
    assert (timing.total, timing.planned, timing.overrun) == (38, 30, 8)


def test_a_duration_is_a_whole_number_of_minutes(session, officer, meeting):
    first = rows(session, officer, meeting)[0]
    for typed, message in [
        ("7,5", "Durée prévue (min) doit être un nombre entier."),
        ("0", "Durée prévue (min) doit être supérieur ou égal à 1."),
        ("600", "Durée prévue (min) doit être inférieur ou égal à 240."),
    ]:
        with pytest.raises(ValidationFailed) as raised:
            committee.update_agenda_item(
                session, officer, first.item_id, {"planned_minutes": typed}
            )
        assert raised.value.errors == {"planned_minutes": message}
    assert rows(session, officer, meeting)[0].planned_minutes == 10


# --- backlog ---------------------------------------------------------------------------------


def test_a_parked_point_leaves_the_agenda_and_the_next_meeting_takes_it_up(
    session, officer, meeting, convention
):
    ej01 = rows(session, officer, meeting)[1]
    committee.park_agenda_item(session, officer, ej01.item_id)
    assert [r.code for r in rows(session, officer, meeting)] == ["PE-01", "EJ-02"]
    assert [p.code for p in committee_queries.parked_points(session, officer, meeting.id)] == [
        "EJ-01"
    ]
    committee.close_meeting(session, officer, meeting.id, session.get(Meeting, meeting.id).version)

    following = committee.create_meeting(
        session,
        officer,
        convention.id,
        {"kind": "cotech", "held_on": date(2027, 1, 12)},
        today=TODAY,
    )
    [offered] = committee_queries.backlog(session, officer, following.id)
    assert (offered.code, offered.meeting) == ("EJ-01", "COPIL n° 1 du 25/11/2026")
    committee.take_up_parked(session, officer, following.id, offered.item_id)

    taken = {r.code: r.reasons for r in rows(session, officer, following)}
    assert "parked" in taken["EJ-01"]
    assert committee_queries.backlog(session, officer, following.id) == []
    with pytest.raises(ValidationFailed, match="déjà été repris"):
        committee.take_up_parked(session, officer, following.id, offered.item_id)


def test_a_free_point_parked_comes_back_with_its_title_duration_and_presenter(
    session, officer, meeting, convention
):
    free = committee.add_agenda_item(
        session,
        officer,
        meeting.id,
        title="Forum des familles",
        planned_minutes="20",
        presenter="M. Bernard",
    )
    committee.park_agenda_item(session, officer, free.id)
    following = committee.create_meeting(
        session, officer, convention.id, {"kind": "copil", "held_on": TODAY}, today=TODAY
    )
    [offered] = committee_queries.backlog(session, officer, following.id)
    committee.take_up_parked(session, officer, following.id, offered.item_id)

    last = rows(session, officer, following)[-1]
    assert (last.title, last.planned_minutes, last.presenter, last.reasons) == (
        "Forum des familles",
        20,
        "M. Bernard",
        ("parked",),
    )


def test_a_point_parked_by_mistake_goes_back_at_the_end_of_the_agenda(session, officer, meeting):
    first = rows(session, officer, meeting)[0]
    committee.park_agenda_item(session, officer, first.item_id)
    committee.unpark_agenda_item(session, officer, first.item_id)
    assert [r.code for r in rows(session, officer, meeting)] == ["EJ-01", "EJ-02", "PE-01"]


def test_refreshing_the_agenda_never_brings_back_nor_drops_a_parked_point(
    session, officer, meeting
):
    ej01 = rows(session, officer, meeting)[1]
    committee.park_agenda_item(session, officer, ej01.item_id)
    committee.refresh_agenda(session, officer, meeting.id, today=TODAY)
    assert [r.code for r in rows(session, officer, meeting)] == ["PE-01", "EJ-02"]
    assert len(committee_queries.parked_points(session, officer, meeting.id)) == 1


# --- versions and history --------------------------------------------------------------------


def test_two_people_editing_the_agenda_the_second_is_told_and_nothing_is_lost(
    session, world, officer, meeting
):
    colleague = world.user(Role.coop_officer, name="Yann Collègue", territories=[world.territory()])
    seen = agenda_version(session, meeting)
    shown = rows(session, officer, meeting)

    committee.move_agenda_item(session, colleague, shown[2].item_id, -1, seen_version=seen)
    with pytest.raises(AgendaConflict) as raised:
        committee.remove_agenda_item(session, officer, shown[1].item_id, seen_version=seen)

    assert raised.value.message.startswith(
        "Modification refusée : Yann Collègue a modifié l'ordre du jour le "
    )
    assert [r.code for r in rows(session, officer, meeting)] == ["PE-01", "EJ-02", "EJ-01"]
    refused = session.exec(
        select(ChangeLog.user_name).where(ChangeLog.operation == "conflict")
    ).all()
    assert refused == ["Nadia Officier"]


@pytest.mark.parametrize(
    "write",
    [
        lambda s, u, m, item, v: committee.move_agenda_item(s, u, item, 1, seen_version=v),
        lambda s, u, m, item, v: committee.remove_agenda_item(s, u, item, seen_version=v),
        lambda s, u, m, item, v: committee.park_agenda_item(s, u, item, seen_version=v),
        lambda s, u, m, item, v: committee.mark_reviewed(s, u, item, seen_version=v),
        lambda s, u, m, item, v: committee.update_agenda_item(
            s, u, item, {"planned_minutes": 12}, seen_version=v
        ),
        lambda s, u, m, item, v: committee.add_agenda_item(
            s, u, m, title="Questions diverses", seen_version=v
        ),
        lambda s, u, m, item, v: committee.refresh_agenda(s, u, m, today=TODAY, seen_version=v),
    ],
    ids=["move", "remove", "park", "mark reviewed", "duration", "add", "refresh"],
)
def test_every_agenda_write_is_refused_on_a_stale_agenda(session, officer, meeting, write):
    stale = agenda_version(session, meeting)
    committee.add_agenda_item(session, officer, meeting.id, title="Point ajouté entre-temps")
    before = [(r.item_id, r.position, r.reviewed, r.planned_minutes) for r in rows(
        session, officer, meeting
    )]  # fmt: skip

    with pytest.raises(AgendaConflict):
        write(session, officer, meeting.id, before[0][0], stale)
    after = [(r.item_id, r.position, r.reviewed, r.planned_minutes) for r in rows(
        session, officer, meeting
    )]  # fmt: skip
    assert after == before


def test_every_agenda_write_is_in_the_history_with_who_and_the_meeting(
    session, officer, meeting, world, convention
):
    shown = rows(session, officer, meeting)
    added = committee.add_agenda_item(session, officer, meeting.id, title="Questions diverses")
    committee.move_agenda_item(session, officer, shown[0].item_id, 1)
    committee.mark_reviewed(session, officer, shown[1].item_id)
    committee.update_agenda_item(session, officer, shown[2].item_id, {"planned_minutes": 12})
    committee.park_agenda_item(session, officer, shown[2].item_id)
    committee.remove_agenda_item(session, officer, added.id)
    world.action(convention, "LOG-01", due_on=date(2026, 1, 31))  # late: refresh adds it
    committee.refresh_agenda(session, officer, meeting.id, today=TODAY)

    entries = session.exec(
        select(ChangeLog).where(ChangeLog.entity == "agenda_item").order_by(ChangeLog.id)  # type: ignore[arg-type]
    ).all()
    assert [(e.operation, sorted(e.changes)) for e in entries] == [
        ("create", ["title"]),
        ("update", ["position"]),
        ("update", ["reviewed_at"]),
        ("update", ["planned_minutes"]),
        ("park", ["parked_at"]),
        ("remove", ["title"]),
        ("create", ["action_id"]),
    ]
    assert {(e.user_name, e.meeting_id, e.convention_id) for e in entries} == {
        ("Nadia Officier", meeting.id, convention.id)
    }
    assert entries[1].changes == {"position": [1, 2]}


def test_an_action_parked_in_this_meeting_is_not_added_twice(session, officer, meeting):
    first = rows(session, officer, meeting)[0]
    committee.park_agenda_item(session, officer, first.item_id)
    action_id = first.action_id
    with pytest.raises(ValidationFailed, match="points reportés"):
        committee.add_agenda_item(session, officer, meeting.id, action_id=action_id)
    assert len(session.exec(select(AgendaItem).where(AgendaItem.action_id == action_id)).all()) == 1


def test_a_closed_meeting_is_read_only(session, officer, meeting):
    first = rows(session, officer, meeting)[0]
    committee.close_meeting(session, officer, meeting.id, 1)
    for attempt in (
        lambda: committee.move_agenda_item(session, officer, first.item_id, 1),
        lambda: committee.park_agenda_item(session, officer, first.item_id),
        lambda: committee.add_agenda_item(session, officer, meeting.id, title="Tard"),
        lambda: committee.start_meeting(session, officer, meeting.id, 2),
        lambda: committee.record_attendance(session, officer, meeting.id, 2, {"attendance": {}}),
    ):
        with pytest.raises(ValidationFailed, match="clôturée"):
            attempt()


def test_a_late_action_done_since_is_no_longer_late_on_the_agenda(session, officer, meeting):
    first = rows(session, officer, meeting)[0]
    committee.quick_update(
        session,
        officer,
        meeting.id,
        first.action_id,
        first.version,
        {"status": ActionStatus.realisee, "progress": "100 %"},
    )
    assert rows(session, officer, meeting)[0].late is False
