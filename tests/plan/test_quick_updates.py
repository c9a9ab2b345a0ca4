"""The officer's batch of quick updates: each row its own outcome, valid rows always saved."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlmodel import select

from ctg_core.common.models import Action, ChangeLog, Role
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from ctg_core.plan import table_edits
from ctg_core.plan.commands import Outcome, RowChange
from tests.conftest import TODAY
from tests.factories import CARENE


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def convention(world):
    return world.convention()


def test_officer_sees_the_actions_of_the_conventions_they_may_edit(session, world, officer):
    mine = world.convention()
    world.action(mine, "PE-01", due_on=date(2026, 1, 31))
    world.action(mine, "EJ-01")
    archived = world.action(mine, "EJ-02", archived_at=pd.Timestamp("2026-01-01", tz="UTC"))
    world.action(world.convention(world.territory(CARENE)), "PE-01")

    frame = plan_queries.officer_actions(session, officer, TODAY)

    assert frame["code"].tolist() == ["PE-01", "EJ-01"]
    assert frame["late"].tolist() == [True, False]
    assert archived.id not in frame["id"].tolist()
    assert frame["convention"].unique().tolist() == [mine.title]
    assert len(frame.attrs["data_version"]) == 12


def test_data_version_changes_when_a_row_is_saved(session, officer, convention, world):
    action = world.action(convention, "PE-01")
    before = plan_queries.officer_actions(session, officer, TODAY).attrs["data_version"]
    plan_commands.update_actions(session, officer, [RowChange(action.id, 1, {"progress": 30})])
    after = plan_queries.officer_actions(session, officer, TODAY).attrs["data_version"]
    assert before != after


def test_a_committee_member_has_no_actions_to_update(session, world, convention):
    world.action(convention, "PE-01")
    member = world.user(Role.committee, territories=[world.territory()])
    assert plan_queries.officer_actions(session, member, TODAY).empty


def test_changes_between_compares_only_editable_cells_and_keeps_the_loaded_version():
    original = pd.DataFrame(
        {
            "id": [11, 12, 13],
            "version": [3, 1, 7],
            "title": ["A", "B", "C"],
            "status": ["en_cours", "en_cours", "a_venir"],
            "progress": [20, 40, 0],
            "last_comment": ["", "Vu", ""],
            "vigilance": ["", "", ""],
        }
    ).set_index("id")
    edited = original.copy()
    edited.loc[11, "progress"] = 55.0
    edited.loc[12, "last_comment"] = None  # a cleared cell
    edited.loc[13, "title"] = "changed but not editable"

    assert table_edits.changes_between(original, edited) == [
        RowChange(11, 3, {"progress": 55}),
        RowChange(12, 1, {"last_comment": ""}),
    ]


def test_batch_with_one_invalid_row_saves_the_valid_rows_and_reports_each(
    session, officer, convention, world
):
    first = world.action(convention, "PE-01", progress=20)
    second = world.action(convention, "PE-02", progress=20)
    third = world.action(convention, "PE-03", progress=20)

    report = plan_commands.update_actions(
        session,
        officer,
        [
            RowChange(first.id, 1, {"progress": 35, "last_comment": "Recrutement fait"}),
            RowChange(second.id, 1, {"status": "realisee"}),  # needs 100 %
            RowChange(third.id, 1, {"status": "suspendue", "vigilance": "Budget gelé"}),
        ],
    )

    assert [(r.code, r.outcome) for r in report.rows] == [
        ("PE-01", Outcome.saved),
        ("PE-02", Outcome.rejected),
        ("PE-03", Outcome.saved),
    ]
    assert "réalisée est avancée à 100" in report.rows[1].message
    assert report.rows[0].changes == {
        "progress": [20, 35],
        "last_comment": ["", "Recrutement fait"],
    }
    saved = {
        a.code: (a.version, a.status.value, a.progress)
        for a in session.exec(select(Action).execution_options(populate_existing=True))
    }
    assert saved == {
        "PE-01": (2, "en_cours", 35),
        "PE-02": (1, "en_cours", 20),
        "PE-03": (2, "suspendue", 20),
    }
    assert (report.count(Outcome.saved), len(report.failed)) == (2, 1)


def test_a_row_someone_else_saved_meanwhile_is_a_conflict_and_the_rest_is_saved(
    session, world, officer, convention
):
    first = world.action(convention, "PE-01", progress=20)
    second = world.action(convention, "PE-02", progress=20)
    colleague = world.user(Role.coop_officer, name="Yann Collègue", territories=[world.territory()])
    plan_commands.update_actions(session, colleague, [RowChange(first.id, 1, {"progress": 50})])

    report = plan_commands.update_actions(
        session,
        officer,
        [RowChange(first.id, 1, {"progress": 70}), RowChange(second.id, 1, {"progress": 25})],
    )

    conflict, saved = report.rows
    assert conflict.outcome is Outcome.conflict
    assert conflict.conflict.changed_by == "Yann Collègue"
    assert conflict.conflict.current_values == {"progress": 50}
    assert conflict.attempted == {"progress": 70}
    assert saved.outcome is Outcome.saved
    log = session.exec(
        select(ChangeLog.entity_id, ChangeLog.operation, ChangeLog.user_name).order_by(ChangeLog.id)
    ).all()
    assert [tuple(row) for row in log] == [
        (first.id, "update", "Yann Collègue"),
        (first.id, "conflict", "Nadia Officier"),
        (second.id, "update", "Nadia Officier"),
    ]


def test_rows_the_user_may_not_edit_or_that_do_not_exist_are_refused(
    session, world, officer, convention
):
    elsewhere = world.action(world.convention(world.territory(CARENE)), "PE-01")
    mine = world.action(convention, "PE-01")
    report = plan_commands.update_actions(
        session,
        officer,
        [
            RowChange(elsewhere.id, 1, {"progress": 90}),
            RowChange(999_999, 1, {"progress": 90}),
            RowChange(mine.id, 1, {"progress": None}),
            RowChange(mine.id, 1, {"progress": 20}),  # same value: nothing to save
        ],
    )
    assert [r.outcome for r in report.rows] == [
        Outcome.rejected,
        Outcome.rejected,
        Outcome.rejected,
        Outcome.unchanged,
    ]
    assert "pas le droit" in report.rows[0].message
    assert "introuvable" in report.rows[1].message
    assert report.rows[2].message == "Avancement est obligatoire."
    assert session.get(Action, mine.id, populate_existing=True).version == 1
