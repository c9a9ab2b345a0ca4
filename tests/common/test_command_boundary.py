"""The boundary every command goes through (`common.command`), on SQLite and PostgreSQL:
the acting user is re-read inside the transaction, the commit happens once, a refusal
changes nothing, and a broken uniqueness rule becomes a French message."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import func, select

from ctg_core.committee import commands as committee
from ctg_core.common import db
from ctg_core.common.auth import AccountDisabled
from ctg_core.common.errors import CtgError, PermissionDenied, ValidationFailed
from ctg_core.common.models import (
    Action,
    AgendaItem,
    ChangeLog,
    IndicatorValue,
    Role,
    User,
    UserTerritory,
)
from ctg_core.indicators import commands as indicator_commands
from ctg_core.plan import commands as plan_commands
from tests.commands_index import every_command
from tests.conftest import TODAY


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def convention(world):
    return world.convention()


def deactivate(session, user) -> None:
    row = session.get(User, user.id)
    row.is_active = False
    session.add(row)
    session.commit()


def test_a_user_deactivated_after_their_page_was_drawn_cannot_save(
    session, world, officer, convention
):
    action = world.action(convention, "PE-01", progress=20)
    deactivate(session, officer)  # the CurrentUser the page holds still says "active"

    with pytest.raises(AccountDisabled, match="désactivé"):
        plan_commands.update_action(session, officer, action.id, 1, {"progress": 60})

    assert session.get(Action, action.id, populate_existing=True).progress == 20
    changes = select(func.count(ChangeLog.id)).where(ChangeLog.entity != "access")
    assert session.exec(changes).one() == 0


def test_an_officer_removed_from_the_territory_cannot_save_with_their_old_scope(
    session, world, officer, convention
):
    action = world.action(convention, "PE-01", progress=20)
    link = session.get(UserTerritory, (officer.id, convention.territory_id))
    session.delete(link)
    session.commit()

    with pytest.raises(PermissionDenied):
        plan_commands.update_action(session, officer, action.id, 1, {"progress": 60})
    assert session.get(Action, action.id, populate_existing=True).progress == 20


def test_a_deactivated_user_cannot_save_in_the_presenter(session, world, officer, convention):
    action = world.action(convention, "PE-01", progress=20, vigilance="Relancer")
    meeting = committee.create_meeting(
        session, officer, convention.id, {"kind": "copil", "held_on": TODAY}, today=TODAY
    )
    deactivate(session, officer)

    with pytest.raises(AccountDisabled):
        committee.quick_update(session, officer, meeting.id, action.id, 1, {"progress": 60})
    assert session.get(Action, action.id, populate_existing=True).progress == 20


def test_every_command_of_the_core_goes_through_the_boundary():
    """Every verb is registered: the permission matrix and the property tests see them all."""
    expected = {
        "plan.commands.update_action",
        "plan.commands.update_actions",
        "committee.commands.quick_update",
        "committee.commands.add_agenda_item",
        "indicators.commands.record_indicator_value",
        "funding.commands.pay_advance",
    }
    assert expected <= set(every_command())


def test_a_quick_update_in_committee_commits_once_and_writes_history_once(
    session, engine, world, officer, convention
):
    action = world.action(convention, "PE-01", progress=20, vigilance="Relancer")
    meeting = committee.create_meeting(
        session, officer, convention.id, {"kind": "copil", "held_on": TODAY}, today=TODAY
    )
    commits: list[object] = []
    listener = lambda connection: commits.append(connection)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        with db.session(write=True, engine=engine) as write:
            result = committee.quick_update(
                write, officer, meeting.id, action.id, 1, {"progress": 60}, decision="Go"
            )
    finally:
        event.remove(engine, "commit", listener)

    assert len(commits) == 1
    assert result.changes == {"progress": [20, 60]}
    entries = session.exec(
        select(ChangeLog.entity, ChangeLog.operation, ChangeLog.meeting_id).where(
            ChangeLog.entity != "meeting"
        )
    ).all()
    assert sorted(entries) == [("action", "update", meeting.id), ("decision", "create", meeting.id)]


# --- two people creating the same thing at the same moment ---------------------------------


def race(engine, attempt: Callable[[Any], object]) -> list[str]:
    """Run `attempt(session)` in two threads released together; the outcome of each."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            with db.session(write=True, engine=engine) as s:
                attempt(s)
            outcome = "saved"
        except ValidationFailed as error:
            outcome = "refused: " + " ".join(error.errors.values())
        except CtgError as error:  # any other French refusal would be a finding
            outcome = f"other: {error}"
        except Exception as error:  # a raw database error is the defect
            outcome = f"crash: {type(error).__name__}: {error}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


@pytest.mark.parametrize("rounds", [5])
def test_two_values_for_the_same_year_give_one_row_and_one_french_message(
    engine, world, officer, convention, rounds
):
    # Measured from its baseline year (values before it are refused).
    indicator = world.indicator(convention, baseline_year=2020)
    for year in range(2020, 2020 + rounds):
        outcomes = race(
            engine,
            lambda s, year=year: indicator_commands.record_indicator_value(
                s, officer, indicator.id, {"year": year, "value": "42,5"}
            ),
        )
        assert outcomes[1] == "saved"
        assert (outcomes[0].startswith("refused: ") and "année" in outcomes[0]) or str(
            year
        ) in outcomes[0], outcomes
    with db.session(engine=engine) as s:
        assert s.exec(select(func.count(IndicatorValue.id))).one() == rounds


def test_the_same_action_added_twice_to_an_agenda_gives_one_point(
    engine, session, world, officer, convention
):
    action = world.action(convention, "PE-01")
    meeting = committee.create_meeting(
        session, officer, convention.id, {"kind": "cotech", "held_on": TODAY}, today=TODAY
    )
    outcomes = race(
        engine, lambda s: committee.add_agenda_item(s, officer, meeting.id, action_id=action.id)
    )
    assert outcomes == ["refused: Cette action est déjà à l'ordre du jour.", "saved"]
    with db.session(engine=engine) as s:
        points = s.exec(select(AgendaItem).where(AgendaItem.action_id == action.id)).all()
    assert len(points) == 1


def test_two_creations_of_the_same_action_code_give_one_fiche(engine, world, officer, convention):
    axis = world.axis("PE")
    outcomes = race(
        engine,
        lambda s: plan_commands.create_action(
            s, officer, convention.id, {"axis_id": axis.id, "code": "PE-09", "title": "Relais"}
        ),
    )
    assert outcomes[1] == "saved"
    assert outcomes[0].startswith("refused: ") and "code" in outcomes[0].lower(), outcomes
    with db.session(engine=engine) as s:
        assert len(s.exec(select(Action).where(Action.code == "PE-09")).all()) == 1
