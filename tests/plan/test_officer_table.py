"""The officer's table at any scale: one window of rows read as plain data, filters done by
the database, the editable scope written once for Python and for SQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from ctg_core.common.auth import editable_plan_clause, readable_clause
from ctg_core.common.models import ActionStatus, Convention, Role
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from ctg_core.plan.queries import OfficerFilter
from tests.conftest import TODAY
from tests.factories import CARENE


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def convention(world):
    return world.convention()


def codes(frame) -> list[str]:
    return frame["code"].tolist()


def test_a_window_of_rows_comes_with_the_count_of_every_matching_row(
    session, world, officer, convention
):
    for n in range(1, 8):
        world.action(convention, f"PE-{n:02d}")

    window = plan_queries.officer_actions(session, officer, TODAY, offset=3, limit=3)

    assert codes(window) == ["PE-04", "PE-05", "PE-06"]
    assert window.attrs["total"] == 7


def test_the_table_is_ordered_by_convention_then_axis_then_code(
    session, world, officer, convention
):
    world.action(convention, "EJ-01")
    world.action(convention, "PE-02")
    world.action(convention, "PE-01")
    assert codes(plan_queries.officer_actions(session, officer, TODAY)) == [
        "PE-01",
        "PE-02",
        "EJ-01",
    ]


def test_filters_keep_one_axis_one_status_late_or_vigilance(session, world, officer, convention):
    world.action(convention, "PE-01", due_on=TODAY - timedelta(days=1))
    world.action(
        convention,
        "PE-02",
        due_on=TODAY - timedelta(days=1),
        status=ActionStatus.realisee,
        progress=100,
    )
    world.action(convention, "PE-03", status=ActionStatus.a_venir, progress=0, vigilance="Budget")
    world.action(convention, "EJ-01", vigilance="   ")

    def shown(**where) -> list[str]:
        return codes(plan_queries.officer_actions(session, officer, TODAY, OfficerFilter(**where)))

    assert shown(axis_id=world.axis("EJ").id) == ["EJ-01"]
    assert shown(status=ActionStatus.a_venir) == ["PE-03"]
    assert shown(late=True) == ["PE-01"]  # PE-02 is done: not late
    assert shown(vigilance=True) == ["PE-03"]  # blanks are no point de vigilance


def test_the_convention_filter_keeps_one_of_the_users_conventions(session, world):
    nantes, carene = world.territory(), world.territory(CARENE)
    officer = world.user(Role.coop_officer, territories=[nantes, carene])
    world.action(world.convention(nantes), "PE-01")
    other = world.convention(carene)
    world.action(other, "EJ-09")

    frame = plan_queries.officer_actions(
        session, officer, TODAY, OfficerFilter(convention_id=other.id)
    )
    assert codes(frame) == ["EJ-09"]


def test_rows_asked_by_id_are_read_only_within_the_users_scope(session, world, officer, convention):
    mine = world.action(convention, "PE-01")
    world.action(convention, "PE-02")
    elsewhere = world.action(world.convention(world.territory(CARENE)), "PE-01")

    frame = plan_queries.officer_actions(session, officer, TODAY, ids=[mine.id, elsewhere.id])
    assert frame["id"].tolist() == [mine.id]


def test_rows_are_plain_values(session, world, officer, convention):
    world.action(convention, "PE-01", progress=35, due_on=date(2027, 1, 31))
    row = plan_queries.officer_actions(session, officer, TODAY).iloc[0]
    assert (row["status"], int(row["progress"]), row["due_on"]) == (
        "en_cours",
        35,
        date(2027, 1, 31),
    )


@pytest.mark.parametrize("role", list(Role))
def test_the_sql_scopes_say_what_the_user_methods_say(session, world, role):
    nantes, carene = world.territory(), world.territory(CARENE)
    user = world.user(role, territories=[nantes])
    world.convention(nantes)
    world.convention(carene, advisor=user)
    world.convention(carene, title="CTG sans conseiller")
    conventions = session.exec(select(Convention).order_by(Convention.id)).all()

    editable = session.exec(select(Convention.id).where(editable_plan_clause(user))).all()
    readable = session.exec(select(Convention.id).where(readable_clause(user))).all()

    assert sorted(editable) == [c.id for c in conventions if user.can_edit_plan(c)]
    assert sorted(readable) == [c.id for c in conventions if user.can_read(c)]


def test_editable_conventions_are_light_references(session, world, officer, convention):
    world.convention(world.territory(CARENE))
    refs = plan_queries.editable_conventions(session, officer)
    assert [(r.id, r.title, r.territory_name) for r in refs] == [
        (convention.id, convention.title, "Nantes Métropole")
    ]


def test_the_conventions_version_changes_when_a_convention_is_saved(session, world):
    convention = world.convention()
    advisor = world.user(Role.caf_advisor)
    admin = world.user(Role.admin)
    before = plan_queries.conventions_version(session)

    plan_commands.update_convention(
        session, admin, convention.id, convention.version, {"advisor_id": advisor.id}
    )

    assert plan_queries.conventions_version(session) != before
