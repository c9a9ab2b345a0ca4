"""Files that cannot be imported: each gets a French sentence saying what to do, and the
database does not change (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from ctg_core.common.models import Action, ChangeLog, Role
from ctg_core.exchange.commands import ImportRefused, import_plan
from ctg_core.exchange.readers import UnreadableFile
from tests.exchange.sheets import PROTECTED_XLSX, csv_text, saved, xlsx

VALID_CSV = csv_text([["Axe", "Code", "Intitulé"], ["PE", "PE-02", "Crèche"]]).encode()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def empty_workbook() -> bytes:
    return saved(Workbook())


def with_macros() -> bytes:
    """A workbook that carries a VBA project, saved under a .xlsx name."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx([["Axe", "Code", "Intitulé"]]))) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 Attribute VB_Name")
    return buffer.getvalue()


def word_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


BAD_FILES = {
    "wrong columns": (
        "contacts.csv",
        csv_text([["Nom", "Prénom", "Téléphone"], ["Durand", "Anne", "0601020304"]]).encode(),
        "colonnes obligatoires absentes : « Axe », « Code », « Intitulé ». Titres lus : « Nom »",
    ),
    "a missing column": (
        "plan.csv",
        csv_text([["Axe", "Intitulé"], ["PE", "Crèche"]]).encode(),
        "colonne obligatoire absente : « Code ».",
    ),
    "an empty sheet": ("plan.xlsx", empty_workbook(), "la feuille « Sheet » est vide"),
    "only the header line": (
        "plan.csv",
        b"Axe;Code;Intitul\xc3\xa9\r\n\r\n",
        "ne contient que la ligne des titres de colonnes",
    ),
    "an empty file": ("plan.csv", b"", "le fichier est vide."),
    "a 50 MB file": (
        "plan.csv",
        VALID_CSV + b"PE;PE-99;" + b"x" * (50 * 1024 * 1024),
        "le fichier pèse 50,0 Mo, au-delà de la limite de 5 Mo.",
    ),
    "a .xlsm workbook": (
        "plan.xlsm",
        xlsx([["Axe", "Code", "Intitulé"], ["PE", "PE-02", "Crèche"]]),
        "les classeurs avec macros (.xlsm) ne sont pas acceptés.",
    ),
    "macros under a .xlsx name": ("plan.xlsx", with_macros(), "avec macros (.xlsm)"),
    "a password-protected workbook": (
        "plan.xlsx",
        PROTECTED_XLSX.read_bytes(),
        "le classeur est protégé par un mot de passe.",
    ),
    "an old .xls workbook": (
        "plan.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        "Enregistrez-le au format « Classeur Excel (.xlsx) »",
    ),
    "an image": ("photo.png", PNG, "« photo.png » n'est pas un tableur."),
    "an image named .csv": (
        "plan.csv",
        PNG,
        "ce fichier n'est pas un tableur (ni classeur Excel, ni texte CSV).",
    ),
    "a Word document named .xlsx": (
        "plan.xlsx",
        word_document(),
        "ce fichier n'est pas un classeur Excel",
    ),
    "text named .xlsx": (
        "plan.xlsx",
        VALID_CSV,
        "« plan.xlsx » n'est pas un classeur Excel valide",
    ),
    "a CSV with a formula in every cell": (
        "plan.csv",
        csv_text(
            [
                ['=HYPERLINK("http://exemple.invalid";"Axe")', "=1+1", "@SOMME(A1:A2)"],
                ["=A1", "+cmd|' /C calc'!A0", "-2+3"],
            ]
        ).encode(),
        "le fichier ne contient que des formules, pas des valeurs.",
    ),
    "an unclosed quote": (
        "plan.csv",
        b'Axe;Code;Intitul\xc3\xa9\r\nPE;PE-02;"Cr\xc3\xa8che' + b"x" * 200_000,
        "ne peut pas être lue",
    ),
}


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, territories=[world.territory()])


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_in_french_and_changes_nothing(session, world, officer, case):
    convention = world.convention()
    world.action(convention, "PE-01", title="Relais existant", progress=30)
    name, content, expected = BAD_FILES[case]

    with pytest.raises(UnreadableFile) as refused:
        import_plan(session, officer, convention.id, {"file_name": name, "content": content})

    assert expected in refused.value.message
    assert refused.value.message.startswith("Fichier refusé : ")
    actions = session.exec(select(Action).execution_options(populate_existing=True)).all()
    assert [(a.code, a.title, a.progress, a.version) for a in actions] == [
        ("PE-01", "Relais existant", 30, 1)
    ]
    assert session.exec(select(func.count(ChangeLog.id))).one() == 0


@pytest.mark.parametrize(
    ("case", "rows", "column"),
    [
        ("a duplicated action code", [["PE", "PE-02", "A"], ["PE", "PE-02", "B"]], "Code"),
        ("an unknown axis", [["Culture", "CU-01", "Musée"]], "Axe"),
        ("an invisible control character", [["PE", "PE-02", "Crèche\x1b"]], "Intitulé"),
        ("a title too long", [["PE", "PE-02", "x" * 201]], "Intitulé"),
    ],
)
def test_a_bad_line_is_refused_with_its_column_and_changes_nothing(
    session, world, officer, case, rows, column
):
    convention = world.convention()
    world.action(convention, "PE-01", title="Relais existant")
    content = csv_text([["Axe", "Code", "Intitulé"], ["PE", "PE-01", "Relais modifié"], *rows])

    with pytest.raises(ImportRefused) as refused:
        import_plan(
            session, officer, convention.id, {"file_name": "p.csv", "content": content.encode()}
        )

    assert [p.column for p in refused.value.report.problems] == [column]
    titles = session.exec(select(Action.title).execution_options(populate_existing=True)).all()
    assert titles == ["Relais existant"]
    assert session.exec(select(func.count(ChangeLog.id))).one() == 0
