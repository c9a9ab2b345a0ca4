"""The history viewer's reads, on SQLite and PostgreSQL: the change log in words with what
each line is about and a link to it, filtered by who, what, when, convention and meeting,
within each role's reach; the Excel export keeps every text as text."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from ctg_core.committee import commands as committee
from ctg_core.common.errors import PermissionDenied
from ctg_core.common.models import ChangeLog, Role
from ctg_core.exchange import exports, writers
from ctg_core.people import access
from ctg_core.people import commands as people
from ctg_core.people import queries as viewer
from ctg_core.people.queries import HistoryFilters
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from tests.conftest import TODAY
from tests.exchange.sheets import formula_cells
from tests.factories import CARENE


@pytest.fixture
def admin(world):
    return world.user(Role.admin, name="Alice Admin")


@pytest.fixture
def advisor(world):
    return world.user(Role.caf_advisor, name="Claire Conseil")


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def nantes_ctg(world, advisor):
    return world.convention(world.territory(), advisor=advisor, title="CTG de Nantes")


@pytest.fixture
def carene_ctg(world):
    return world.convention(world.territory(CARENE), title="CTG de la CARENE")


@pytest.fixture
def accueil(world, nantes_ctg):
    return world.action(nantes_ctg, "PE-02", title="Accueil du mercredi", progress=35)


def read(session, user, **filters) -> list[viewer.ViewerLine]:
    return viewer.history_log(session, user, HistoryFilters(**filters)).lines


def dated(session, moment: datetime) -> None:
    """Move the latest history entry to `moment` (UTC)."""
    last = session.exec(sa.select(sa.func.max(ChangeLog.id))).scalar_one()
    session.execute(sa.update(ChangeLog).where(ChangeLog.id == last).values(at=moment))
    session.commit()


def test_a_change_reads_in_words_with_its_fiche_and_a_link(session, admin, officer, accueil):
    plan_commands.update_action(session, officer, accueil.id, 1, {"progress": "60 %"})

    [item] = read(session, admin)

    assert item.line.user_name == "Nadia Officier"
    assert item.line.operation_label == "Modification"
    assert item.changes == "Avancement : 35 % → 60 %"
    assert item.subject == "Fiche PE-02 · Accueil du mercredi"
    assert item.convention == "CTG de Nantes"
    assert item.link == f"convention?convention={accueil.convention_id}&action={accueil.id}"


def test_lines_are_filtered_by_who_and_by_what(session, world, admin, officer, accueil):
    plan_commands.update_action(session, officer, accueil.id, 1, {"progress": 60})
    plan_commands.update_action(session, admin, accueil.id, 2, {"vigilance": "Locaux"})
    plan_commands.add_axis(session, admin, {"code": "SEN", "label": "Seniors"})

    by_officer = read(session, admin, user_id=officer.id)
    actions = read(session, admin, entity="action")
    vigilance = read(session, admin, entity="action", field="vigilance")

    assert [i.changes for i in by_officer] == ["Avancement : 35 % → 60 %"]
    assert len(actions) == 2
    assert [i.changes for i in vigilance] == ["Point de vigilance : — → Locaux"]
    [axis] = read(session, admin, entity="axis")
    assert (axis.subject, axis.link) == ("Thématique « Seniors »", "administration")


def test_a_field_filter_is_not_fooled_by_a_text_that_names_the_field(
    session, admin, officer, accueil
):
    plan_commands.update_action(
        session, officer, accueil.id, 1, {"last_comment": 'voir "progress": plus tard'}
    )

    assert read(session, admin, field="progress") == []
    assert len(read(session, admin, field="last_comment")) == 1


def test_the_period_is_read_on_the_french_clock(session, admin, officer, accueil):
    plan_commands.update_action(session, officer, accueil.id, 1, {"progress": 40})
    dated(session, datetime(2026, 11, 24, 23, 30, tzinfo=UTC))  # 25/11 at 00:30 in France
    plan_commands.update_action(session, officer, accueil.id, 2, {"progress": 50})
    dated(session, datetime(2026, 11, 25, 22, 59, tzinfo=UTC))  # 25/11 at 23:59 in France
    plan_commands.update_action(session, officer, accueil.id, 3, {"progress": 60})
    dated(session, datetime(2026, 11, 25, 23, 1, tzinfo=UTC))  # 26/11 at 00:01 in France

    on_the_25th = read(session, admin, since=TODAY, until=TODAY)

    assert [i.changes for i in on_the_25th] == [
        "Avancement : 40 % → 50 %",
        "Avancement : 35 % → 40 %",
    ]
    assert len(read(session, admin, since=date(2026, 11, 26))) == 1


def test_lines_are_filtered_by_convention_and_by_meeting(
    session, world, admin, officer, accueil, carene_ctg
):
    other = world.action(carene_ctg, "PE-01")
    meeting = committee.create_meeting(
        session, admin, accueil.convention_id, {"kind": "copil", "held_on": TODAY}, today=TODAY
    )
    committee.quick_update(session, officer, meeting.id, accueil.id, 1, {"progress": 70})
    plan_commands.update_action(session, admin, other.id, 1, {"progress": 90})

    in_meeting = read(session, admin, meeting_id=meeting.id)
    in_carene = read(session, admin, convention_id=carene_ctg.id)

    assert [(i.subject, i.line.meeting) for i in in_meeting] == [
        ("Fiche PE-02 · Accueil du mercredi", "COPIL n° 1 du 25/11/2026"),
        ("COPIL n° 1 du 25/11/2026", "COPIL n° 1 du 25/11/2026"),
    ]
    assert [i.changes for i in in_carene] == ["Avancement : 20 % → 90 %"]
    assert [c.label for c in viewer.meeting_choices(session, accueil.convention_id)] == [
        "COPIL n° 1 du 25/11/2026"
    ]


def test_a_conseiller_reads_the_history_of_the_conventions_they_follow(
    session, world, admin, advisor, officer, accueil, carene_ctg
):
    plan_commands.update_action(session, officer, accueil.id, 1, {"progress": 60})
    plan_commands.update_action(session, admin, world.action(carene_ctg).id, 1, {"progress": 90})
    plan_commands.add_axis(session, admin, {"code": "SEN", "label": "Seniors"})

    seen = read(session, advisor)

    assert [i.convention for i in seen] == ["CTG de Nantes"]
    assert [c.label for c in viewer.history_conventions(session, advisor)] == [
        "CTG de Nantes — Nantes Métropole"
    ]
    assert [kind for kind, _ in viewer.entity_choices(advisor)] == [
        "action",
        "convention",
        "meeting",
        "decision",
        "indicator_value",
    ]


def test_sign_ins_refusals_and_user_changes_are_the_administrators_only(
    session, world, admin, officer
):
    manager = world.user(Role.caf_manager, name="Dora Direction")
    access.record_sign_in(session, officer)
    access.record_refusal(session, email="intrus@exemple.fr", refused="Connexion refusée : x")
    people.change_user(session, admin, officer.id, 1, {"name": "Nadia Martin"})

    by_admin = read(session, admin)
    assert [(i.line.operation_label, i.subject) for i in by_admin] == [
        ("Modification", "Utilisateur : Nadia Martin"),
        ("Accès refusé", "Accès à l'application"),
        ("Connexion", "Accès à l'application"),
    ]
    assert by_admin[1].changes == "E-mail : intrus@exemple.fr ; Refusé : Connexion refusée : x"
    assert by_admin[1].line.user_name == "intrus@exemple.fr"
    assert read(session, manager) == []
    assert "access" not in dict(viewer.entity_choices(manager))


@pytest.mark.parametrize("role", [Role.coop_officer, Role.committee])
def test_the_territorial_roles_have_no_history_viewer(session, world, role):
    user = world.user(role, territories=[world.territory()])

    with pytest.raises(PermissionDenied):
        viewer.history_log(session, user, HistoryFilters())


def test_the_viewer_shows_the_latest_lines_and_says_how_many_matched(
    session, admin, officer, accueil
):
    for version, progress in enumerate((40, 50, 60), start=1):
        plan_commands.update_action(session, officer, accueil.id, version, {"progress": progress})

    log = viewer.history_log(session, admin, HistoryFilters(), limit=2)

    assert (log.total, log.truncated) == (3, True)
    assert [i.changes for i in log.lines] == [
        "Avancement : 50 % → 60 %",
        "Avancement : 40 % → 50 %",
    ]


def exported(session, user, **filters) -> bytes:
    """The viewer's export as the page builds it: its lines, through the exchange writers."""
    log = viewer.history_log(session, user, HistoryFilters(**filters), limit=viewer.MAX_EXPORTED)
    return writers.excel_bytes(exports.history_viewer_table(log.lines))


def test_the_excel_export_keeps_a_formula_as_text(session, admin, officer, accueil):
    plan_commands.update_action(
        session, officer, accueil.id, 1, {"last_comment": '=HYPERLINK("http://x","clic")'}
    )
    plan_commands.update_action(session, officer, accueil.id, 2, {"lead": "+33 2 40 00 00 00"})

    content = exported(session, admin)

    sheet = openpyxl.load_workbook(io.BytesIO(content))["Historique"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Date",
        "Par",
        "Opération",
        "Objet",
        "Convention",
        "Réunion",
        "Modifications",
    )
    assert rows[1][1:4] == ("Nadia Officier", "Modification", "Fiche PE-02 · Accueil du mercredi")
    assert rows[1][6] == "Pilote : — → +33 2 40 00 00 00"
    assert rows[2][6] == 'Commentaire : — → =HYPERLINK("http://x","clic")'
    assert isinstance(rows[1][0], datetime)
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)
    assert formula_cells(content) == []


def test_a_cell_that_starts_like_a_formula_is_written_as_text(session, world, admin):
    world.convention(world.territory(), title="=1+1")
    convention = plan_queries.conventions(session, admin)[0]
    plan_commands.update_convention(session, admin, convention.id, 1, {"title": "@SUM(A1)"})

    content = exported(session, admin)

    [row] = list(openpyxl.load_workbook(io.BytesIO(content))["Historique"].iter_rows(min_row=2))
    convention_cell = row[4]
    # Behind the spreadsheets' « this is text » apostrophe, which the import takes off again.
    assert (convention_cell.value, convention_cell.data_type) == ("'@SUM(A1)", "s")
    assert formula_cells(content) == []


def test_the_export_holds_the_filtered_lines_in_french_time(session, admin, officer, accueil):
    plan_commands.update_action(session, officer, accueil.id, 1, {"progress": 60})
    dated(session, datetime(2026, 7, 1, 8, 30, tzinfo=UTC))  # 10:30 in Nantes (summer time)
    plan_commands.update_convention(
        session, admin, accueil.convention_id, 1, {"title": "CTG de Nantes 2025-2028"}
    )

    content = exported(session, admin, user_id=officer.id)

    rows = list(
        openpyxl.load_workbook(io.BytesIO(content))["Historique"].iter_rows(values_only=True)
    )
    assert rows[1:] == [
        (
            datetime(2026, 7, 1, 10, 30),
            "Nadia Officier",
            "Modification",
            "Fiche PE-02 · Accueil du mercredi",
            "CTG de Nantes 2025-2028",  # the convention as it is named now
            None,
            "Avancement : 35 % → 60 %",
        )
    ]


def test_the_convention_history_includes_its_fiches(session, admin, officer, accueil):
    plan_commands.update_action(session, officer, accueil.id, 1, {"progress": 60})
    plan_commands.update_convention(
        session, admin, accueil.convention_id, 1, {"title": "CTG de Nantes 2025-2028"}
    )

    lines = plan_queries.convention_history(session, admin, accueil.convention_id)

    assert [(line.subject, line.summary) for line in lines] == [
        (
            "Convention « CTG de Nantes 2025-2028 »",
            "Intitulé : CTG de Nantes → CTG de Nantes 2025-2028",
        ),
        ("Fiche PE-02 · Accueil du mercredi", "Avancement : 35 % → 60 %"),
    ]
