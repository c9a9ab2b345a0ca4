"""Importing a plan d'actions from Excel or CSV, on SQLite and PostgreSQL: all or nothing,
line-by-line reasons in French, re-imports that change nothing, French spreadsheet habits."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from ctg_core.common.errors import PermissionDenied
from ctg_core.common.models import Action, ActionStatus, Axis, ChangeLog, Role
from ctg_core.exchange import plan_sheet
from ctg_core.exchange.commands import ChangedSincePreview, ImportRefused, import_plan
from ctg_core.exchange.report import Operation, Problem
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from tests.conftest import TODAY
from tests.exchange.sheets import PLAN_HEADERS, csv_text, saved, xlsx
from tests.factories import CARENE


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def convention(world):
    return world.convention()


def run_import(session, user, convention, content: bytes, name: str = "plan.csv", **kw):
    return import_plan(session, user, convention.id, {"file_name": name, "content": content}, **kw)


def actions_of(session, convention) -> list[Action]:
    return list(
        session.exec(
            select(Action)
            .where(Action.convention_id == convention.id)
            .order_by(Action.code)
            .execution_options(populate_existing=True)
        )
    )


def history_count(session) -> int:
    return session.exec(select(func.count(ChangeLog.id))).one()


def axis_code(session, action: Action) -> str:
    return session.get(Axis, action.axis_id).code


def plan_csv(rows, headers=PLAN_HEADERS, encoding="utf-8-sig") -> bytes:
    return csv_text([headers, *rows]).encode(encoding)


def line(code, title, **cells) -> list:
    """A full line of the template: axis from the code's prefix, the rest as given."""
    values = {
        "Axe": code.split("-")[0],
        "Code": code,
        "Intitulé": title,
        "Objectif": "",
        "Pilote": "",
        "Partenaires": "",
        "Début": "",
        "Échéance": "",
        "Budget (€)": "",
        "Statut": "En cours",
        "Avancement": "20 %",
        "Commentaire": "",
        "Point de vigilance": "",
        **cells,
    }
    return [values[h] for h in PLAN_HEADERS]


# --- the template, filled -----------------------------------------------------------------------


def test_the_downloaded_template_filled_with_three_fiches_creates_them_with_their_values(
    session, world, officer, convention
):
    labels = [a.label for a in plan_queries.axes(session)]
    book = load_workbook(io.BytesIO(plan_sheet.template_xlsx(labels)))
    sheet = book["Plan d'actions"]
    # Below the example line (left as it is), three fiches typed the French way.
    sheet.append(
        [
            "Petite enfance",
            "PE-01",
            "Ouvrir un relais petite enfance",
            "Informer les assistantes maternelles",
            "Mme Durand (mairie)",
            "Caf, Département",
            date(2026, 1, 5),
            date(2027, 6, 30),
            12500.5,
            "En cours",
            0.4,
            "Premier comité tenu",
            "",
        ]
    )
    sheet.cell(sheet.max_row, 11).number_format = "0 %"  # Excel stores « 40 % » as 0.4
    ej_line = ["EJ", "EJ-01", "Accueil jeunes l'été", *[None] * 6, "À venir", None, None]
    sheet.append([*ej_line, "Trouver un local"])
    sheet.append(["Parentalité", "PA-01", "Café des parents", None, "Centre social", None,
                  "01/09/2025", "30/06/2026", "3 000,00", "Réalisée", "100 %"])  # fmt: skip

    report = run_import(session, officer, convention, saved(book), "plan.xlsx")

    assert (report.count(Operation.create), report.count(Operation.update)) == (3, 0)
    assert report.warnings == ("Ligne 2 : la ligne d'exemple du modèle est ignorée.",)
    ej, pa, pe = actions_of(session, convention)
    assert [a.code for a in (ej, pa, pe)] == ["EJ-01", "PA-01", "PE-01"]
    assert (axis_code(session, pe), pe.title, pe.objective, pe.lead, pe.partners) == (
        "PE",
        "Ouvrir un relais petite enfance",
        "Informer les assistantes maternelles",
        "Mme Durand (mairie)",
        "Caf, Département",
    )
    assert (pe.starts_on, pe.due_on, pe.budget) == (
        date(2026, 1, 5),
        date(2027, 6, 30),
        Decimal("12500.50"),
    )
    assert (pe.status, pe.progress, pe.last_comment) == (
        ActionStatus.en_cours,
        40,
        "Premier comité tenu",
    )
    assert (axis_code(session, ej), ej.status, ej.progress, ej.vigilance, ej.due_on) == (
        "EJ",
        ActionStatus.a_venir,
        0,
        "Trouver un local",
        None,
    )
    assert (pa.status, pa.progress, pa.budget, pa.due_on) == (
        ActionStatus.realisee,
        100,
        Decimal("3000.00"),
        date(2026, 6, 30),
    )


def test_an_import_is_one_entry_in_the_convention_history_beside_each_fiche_s_creation(
    session, officer, convention
):
    run_import(session, officer, convention, plan_csv([line("PE-01", "A"), line("EJ-01", "B")]))

    entries = session.exec(select(ChangeLog).order_by(ChangeLog.id)).all()
    assert [(e.entity, e.operation, e.user_name) for e in entries] == [
        ("action", "create", "Nadia Officier"),
        ("action", "create", "Nadia Officier"),
        ("convention", "import", "Nadia Officier"),
    ]
    assert entries[-1].entity_id == convention.id
    assert entries[-1].changes == {
        "file_name": [None, "plan.csv"],
        "created": [None, 2],
        "updated": [None, 0],
    }
    history = plan_queries.convention_history(session, officer, convention.id)
    assert history[0].operation_label == "Import d'un fichier"
    assert (
        history[0].summary
        == "Fichier : — → plan.csv ; Fiches créées : — → 2 ; Fiches modifiées : — → 0"
    )


# --- all or nothing -----------------------------------------------------------------------------


def test_one_bad_line_among_200_writes_nothing_and_the_report_names_its_line_and_column(
    session, officer, convention
):
    rows = [line(f"PE-{n:03d}", f"Action {n}") for n in range(1, 201)]
    rows[136][PLAN_HEADERS.index("Avancement")] = "42,5"  # the 137th fiche: line 138 of the file

    with pytest.raises(ImportRefused) as refused:
        run_import(session, officer, convention, plan_csv(rows))

    assert refused.value.report.problems == (
        Problem(
            138,
            "Avancement",
            "L'avancement est un nombre entier, sans décimale (par exemple 40 %).",
        ),
    )
    assert "ligne 138, colonne « Avancement »" in refused.value.message
    assert actions_of(session, convention) == []
    assert history_count(session) == 0


def test_every_bad_line_is_reported_not_only_the_first(session, officer, convention):
    rows = [
        line("PE-01", "Bon"),
        line("PE-02", "", Statut="Terminé"),
        line("XX-03", "Axe inconnu"),
        line("PE-04", "Dates à l'envers", Début="01/07/2027", Échéance="01/01/2027"),
        line("PE-05", "Réalisée à moitié", Statut="Réalisée", Avancement="50"),
        line("PE-06", "Budget négatif", **{"Budget (€)": "-300"}),
        line("PE-07", "Date impossible", Échéance="31/02/2027"),
    ]

    with pytest.raises(ImportRefused) as refused:
        run_import(session, officer, convention, plan_csv(rows))

    assert [(p.line, p.column) for p in refused.value.report.problems] == [
        (3, "Statut"),
        (3, "Intitulé"),
        (4, "Axe"),
        (5, "Échéance"),
        (6, "Avancement"),
        (7, "Budget (€)"),
        (8, "Échéance"),
    ]
    messages = [p.message for p in refused.value.report.problems]
    assert messages[0].startswith("Statut inconnu : « Terminé ». Valeurs : À venir, En cours")
    assert messages.pop(1) == "Intitulé ne peut pas être vide."
    assert messages[1].startswith("Axe inconnu : « XX ».")
    assert messages[2] == "L'échéance ne peut pas précéder le début."
    assert messages[3] == "Une action réalisée est avancée à 100 %."
    assert messages[4] == "Budget doit être supérieur ou égal à 0."
    assert messages[5] == "Échéance doit être une date (JJ/MM/AAAA)."
    assert actions_of(session, convention) == []


def test_a_code_twice_in_the_file_is_refused_on_its_second_line(session, officer, convention):
    rows = [line("PE-01", "Relais"), line("EJ-01", "Été"), line("PE-01", "Relais bis")]

    with pytest.raises(ImportRefused) as refused:
        run_import(session, officer, convention, plan_csv(rows))

    assert refused.value.report.problems == (
        Problem(4, "Code", "Le code PE-01 figure déjà ligne 2 : un code par fiche."),
    )
    assert actions_of(session, convention) == []


def test_an_unknown_axis_is_refused_with_the_axes_to_choose_from(session, officer, convention):
    with pytest.raises(ImportRefused) as refused:
        run_import(session, officer, convention, plan_csv([line("PE-01", "A", Axe="Culture")]))

    (problem,) = refused.value.report.problems
    assert (problem.line, problem.column) == (2, "Axe")
    assert problem.message == (
        "Axe inconnu : « Culture ». Indiquez le code (PE, EJ, PA, AVS, ADN, LOG, HAN) ou le "
        "libellé d'une thématique."
    )


def test_a_pilot_who_is_not_a_user_is_kept_as_free_text(session, officer, convention):
    run_import(
        session,
        officer,
        convention,
        plan_csv([line("PE-01", "Relais", Pilote="Association Les P'tits Loups")]),
    )

    assert actions_of(session, convention)[0].lead == "Association Les P'tits Loups"


def test_a_formula_in_a_cell_is_refused_and_names_its_cell(session, officer, convention):
    content = xlsx([PLAN_HEADERS[:4], ["PE", "PE-01", "Relais", '=B2&" ok"']])

    with pytest.raises(ImportRefused) as refused:
        run_import(session, officer, convention, content, "plan.xlsx")

    (problem,) = refused.value.report.problems
    assert (problem.line, problem.column) == (2, "Objectif")
    assert "contient une formule" in problem.message


# --- re-imports ---------------------------------------------------------------------------------


def test_re_importing_the_same_file_creates_no_duplicate_and_logs_nothing(
    session, officer, convention
):
    content = plan_csv([line("PE-01", "Relais", Avancement="40 %"), line("EJ-01", "Été")])
    run_import(session, officer, convention, content)
    logged = history_count(session)

    report = run_import(session, officer, convention, content)

    assert report.count(Operation.unchanged) == 2 and report.writes == 0
    assert [a.code for a in actions_of(session, convention)] == ["EJ-01", "PE-01"]
    assert [a.version for a in actions_of(session, convention)] == [1, 1]
    assert history_count(session) == logged


def test_a_re_import_updates_by_code_only_what_changed(session, officer, convention):
    run_import(
        session, officer, convention, plan_csv([line("PE-01", "Relais"), line("EJ-01", "Été")])
    )

    report = run_import(
        session,
        officer,
        convention,
        plan_csv([line("PE-01", "Relais", Avancement="60 %"), line("EJ-01", "Été")]),
    )

    assert [(r.key, r.operation, r.changes) for r in report.rows] == [
        ("PE-01", Operation.update, {"progress": [20, 60]}),
        ("EJ-01", Operation.unchanged, {}),
    ]
    ej, pe = actions_of(session, convention)
    assert (pe.progress, pe.version, ej.version) == (60, 2, 1)
    last = session.exec(select(ChangeLog).order_by(ChangeLog.id.desc())).first()
    assert (last.operation, last.changes["updated"], last.changes["created"]) == (
        "import",
        [None, 1],
        [None, 0],
    )


def test_columns_missing_from_the_file_leave_those_fields_alone(
    session, world, officer, convention
):
    world.action(convention, "PE-01", title="Relais", lead="Mairie", vigilance="Local trop petit")

    run_import(
        session,
        officer,
        convention,
        plan_csv(
            [["PE", "PE-01", "Relais", "40 %"]], headers=["Axe", "Code", "Intitulé", "Avancement"]
        ),
    )

    (action,) = actions_of(session, convention)
    assert (action.progress, action.lead, action.vigilance) == (40, "Mairie", "Local trop petit")


def test_an_archived_fiche_in_the_file_is_left_alone_but_cannot_be_changed(
    session, world, officer, convention
):
    archived = world.action(convention, "PE-01", title="Ancienne", progress=20)
    plan_commands.archive_action(session, officer, archived.id, 1)
    same = plan_csv([line("PE-01", "Ancienne", Avancement="20 %", Début="01/01/2025",
                          Échéance="30/06/2027")])  # fmt: skip

    assert run_import(session, officer, convention, same).writes == 0
    with pytest.raises(ImportRefused) as refused:
        run_import(session, officer, convention, plan_csv([line("PE-01", "Nouvelle")]))
    assert "archivée" in refused.value.report.problems[0].message


def test_an_import_refuses_to_write_if_the_plan_changed_since_its_preview(
    session, world, officer, convention
):
    action = world.action(convention, "PE-01", title="Relais", progress=20)
    content = plan_csv([line("PE-01", "Relais", Avancement="60 %", Début="01/01/2025",
                             Échéance="30/06/2027")])  # fmt: skip
    preview = plan_sheet.preview_plan(session, officer, convention.id, "plan.csv", content)
    plan_commands.update_action(session, officer, action.id, 1, {"lead": "Mairie"})  # meanwhile
    plan_commands.update_action(session, officer, action.id, 2, {"progress": 30})

    with pytest.raises(ChangedSincePreview):
        run_import(session, officer, convention, content, seen=preview.fingerprint)

    assert actions_of(session, convention)[0].progress == 30


# --- who may import -----------------------------------------------------------------------------


def test_a_committee_member_cannot_import_a_plan(session, world, convention):
    member = world.user(Role.committee, territories=[world.territory()])

    with pytest.raises(PermissionDenied):
        run_import(session, member, convention, plan_csv([line("PE-01", "Relais")]))
    assert actions_of(session, convention) == []


def test_an_officer_cannot_import_into_another_territory_s_convention(session, world, officer):
    other = world.convention(world.territory(CARENE))

    with pytest.raises(PermissionDenied):
        run_import(session, officer, other, plan_csv([line("PE-01", "Relais")]))


# --- French habits --------------------------------------------------------------------------


def test_a_windows_csv_with_semicolons_comma_decimals_and_blank_lines_is_read(
    session, officer, convention
):
    text = (
        "Axe;Code;Intitulé;Budget (€);Avancement;Échéance;Remarques\r\n"
        "\r\n"
        "Petite enfance;PE-01;Crèche à horaires décalés;12 500,50;50 %;25/11/2026;à revoir\r\n"
        ";;;;;;\r\n"
        "enfance-jeunesse;EJ-01;Été jeunes;;10;;\r\n"
    )

    report = run_import(session, officer, convention, text.encode("cp1252"))

    assert report.warnings == ("Colonnes ignorées (l'import ne les connaît pas) : « Remarques ».",)
    ej, pe = actions_of(session, convention)
    assert (pe.title, pe.budget, pe.progress, pe.due_on) == (
        "Crèche à horaires décalés",
        Decimal("12500.50"),
        50,
        TODAY,
    )
    assert (axis_code(session, ej), ej.progress) == ("EJ", 10)
    assert [r.line for r in report.rows] == [3, 5]


def test_a_comma_separated_utf8_csv_is_read_too(session, officer, convention):
    content = csv_text([["Axe", "Code", "Intitulé"], ["PE", "PE-01", "Relais, itinérant"]], ",")

    run_import(session, officer, convention, content.encode("utf-8"))

    assert actions_of(session, convention)[0].title == "Relais, itinérant"


def test_merged_header_cells_and_an_axis_merged_down_its_fiches_are_read(
    session, officer, convention
):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Plan d'actions 2026 — CTG Nantes Métropole"])
    sheet.merge_cells("A1:F1")
    sheet.append(["Axe", "Code", "Intitulé", "Dates", None, "Statut"])
    sheet.append([None, None, None, "Début", "Échéance", None])
    for column in "ABCF":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("D2:E2")
    sheet.append(
        ["Petite enfance", "PE-01", "Relais", date(2026, 1, 5), date(2026, 12, 31), "En cours"]
    )
    sheet.append([None, "PE-02", "Crèche", None, None, "À venir"])
    sheet.merge_cells("A4:A5")

    report = run_import(session, officer, convention, saved(book), "plan.xlsx")

    assert [(r.line, r.key) for r in report.rows] == [(4, "PE-01"), (5, "PE-02")]
    pe1, pe2 = actions_of(session, convention)
    assert (axis_code(session, pe2), pe1.starts_on, pe1.due_on) == (
        "PE",
        date(2026, 1, 5),
        date(2026, 12, 31),
    )


def test_a_code_typed_as_a_number_stays_the_code_typed(session, officer, convention):
    run_import(
        session,
        officer,
        convention,
        xlsx([["Axe", "Code", "Intitulé"], ["PE", 12, "Relais"]]),
        "p.xlsx",
    )

    assert actions_of(session, convention)[0].code == "12"
