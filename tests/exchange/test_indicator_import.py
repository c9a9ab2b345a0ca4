"""Importing measured values of indicators (SQLite and PostgreSQL): through the indicators'
own command, all or nothing, a measured year never silently replaced."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from ctg_core.common.models import ChangeLog, IndicatorValue, Role
from ctg_core.exchange.commands import ImportRefused, import_indicator_values
from ctg_core.exchange.report import Operation
from tests.exchange.sheets import csv_text

HEADERS = ["Indicateur", "Année", "Valeur", "Date de mesure", "Source"]


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def convention(world):
    return world.convention()


def values_csv(*rows) -> dict:
    return {"file_name": "valeurs.csv", "content": csv_text([HEADERS, *rows]).encode()}


def stored(session) -> list[tuple]:
    rows = session.exec(
        select(IndicatorValue)
        .order_by(IndicatorValue.year)
        .execution_options(populate_existing=True)
    ).all()
    return [(v.year, v.value, v.measured_on, v.source) for v in rows]


def test_values_are_added_each_with_its_history_and_the_import_once(
    session, world, officer, convention
):
    world.indicator(convention, "Places en crèche")

    report = import_indicator_values(
        session,
        officer,
        convention.id,
        values_csv(
            ["Places en crèche", "2024", "132", "", "Caf"],
            ["places en creche", "2025", "140,5", "30/06/2025", "Caf"],
        ),
    )

    assert report.count(Operation.create) == 2
    assert stored(session) == [(2024, 132.0, None, "Caf"), (2025, 140.5, date(2025, 6, 30), "Caf")]
    entries = session.exec(select(ChangeLog.entity, ChangeLog.operation).order_by(ChangeLog.id))
    assert list(entries) == [
        ("indicator_value", "create"),
        ("indicator_value", "create"),
        ("convention", "import"),
    ]


def test_re_importing_the_same_values_changes_nothing(session, world, officer, convention):
    world.indicator(convention, "Places en crèche")
    file = values_csv(["Places en crèche", "2024", "132", "", "Caf"])
    import_indicator_values(session, officer, convention.id, file)
    logged = session.exec(select(func.count(ChangeLog.id))).one()

    report = import_indicator_values(session, officer, convention.id, file)

    assert report.writes == 0 and report.count(Operation.unchanged) == 1
    assert session.exec(select(func.count(ChangeLog.id))).one() == logged


def test_another_value_for_a_measured_year_is_refused_and_nothing_is_written(
    session, world, officer, convention
):
    indicator = world.indicator(convention, "Places en crèche")
    session.add(IndicatorValue(indicator_id=indicator.id, year=2024, value=132, source="Caf"))
    session.commit()

    with pytest.raises(ImportRefused) as refused:
        import_indicator_values(
            session,
            officer,
            convention.id,
            values_csv(
                ["Places en crèche", "2025", "140", "", ""],
                ["Places en crèche", "2024", "135", "", "Caf"],
            ),
        )

    (problem,) = refused.value.report.problems
    assert (problem.line, problem.column) == (3, "Valeur")
    assert problem.message.startswith("Une valeur est déjà enregistrée pour 2024 (132,00)")
    assert stored(session) == [(2024, 132.0, None, "Caf")]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            ["Taux de pauvreté", "2024", "12"],
            "Indicateur",
            "Indicateur inconnu dans cette convention",
        ),
        (["Places en crèche", "1850", "12"], "Année", "Année doit être supérieur ou égal à 1990."),
        (["Places en crèche", "2024", "beaucoup"], "Valeur", "Valeur mesurée doit être un nombre."),
        (["Places en crèche", "2024", "1e30"], "Valeur", "Valeur mesurée doit être comprise entre"),
    ],
)
def test_a_bad_value_line_names_its_column(
    session, world, officer, convention, row, column, message
):
    world.indicator(convention, "Places en crèche")

    with pytest.raises(ImportRefused) as refused:
        import_indicator_values(session, officer, convention.id, values_csv([*row, "", ""]))

    (problem,) = refused.value.report.problems
    assert (problem.line, problem.column) == (2, column)
    assert problem.message.startswith(message)
    assert stored(session) == []


def test_the_same_year_twice_in_the_file_is_refused(session, world, officer, convention):
    world.indicator(convention, "Places en crèche")

    with pytest.raises(ImportRefused) as refused:
        import_indicator_values(
            session,
            officer,
            convention.id,
            values_csv(
                ["Places en crèche", "2024", "1", "", ""], ["Places en crèche", "2024", "2", "", ""]
            ),
        )

    assert [(p.line, p.column) for p in refused.value.report.problems] == [(3, "Année")]
