"""The Caf open-data import: each known trap of the published files, unknown codes, and a bad
file that changes nothing."""

from pathlib import Path

import pytest
from sqlmodel import select

from ctg_core.common.errors import PermissionDenied, ValidationFailed
from ctg_core.common.models import MeasureKind, Role, TerritoryFigure
from ctg_core.indicators import commands, open_data
from tests.factories import CARENE, NANTES_METROPOLE

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "open_data"
NOZAY = "244400537"


def figures(session, year=None):
    query = select(TerritoryFigure.area_code, TerritoryFigure.year, TerritoryFigure.value)
    if year is not None:
        query = query.where(TerritoryFigure.year == year)
    return sorted(session.exec(query).all())


@pytest.fixture
def admin(world):
    world.catalogue_entry()
    return world.user(Role.admin)


def run_import(session, user, code, text, filename="fichier.csv"):
    return commands.import_open_data(
        session, user, {"catalogue_code": code, "filename": filename}, text.encode("utf-8")
    )


# --- reading the file: the traps -------------------------------------------------------------


def test_semicolons_and_decimal_commas_are_read():
    text = f"NUMEPCI;NOMEPCI;annee;TAUX_COUV_GLOBAL\n{CARENE};CARENE;2024;58,4\n"
    parsed = open_data.read_caf_file(text, "TXCOUV", MeasureKind.rate)
    [row] = parsed.rows
    assert (row.code, row.year, row.value) == (CARENE, 2024, 58.4)


def test_the_placeholder_epci_row_xx_is_ignored_and_counted():
    text = (
        "NUMEPCI;NOMEPCI;annee;TAUX_COUV_GLOBAL\n"
        "XX;EPCI non déterminé;2024;12,0\n"
        "XXXXXXXXX;Non ventilé;2024;\n"
        f"{CARENE};CARENE;2024;58,4\n"
    )
    parsed = open_data.read_caf_file(text, "TXCOUV", MeasureKind.rate)
    assert [r.code for r in parsed.rows] == [CARENE]
    assert parsed.placeholders == 2


@pytest.mark.parametrize(
    "year", ["2023", "31/12/2023", "2023-12-31", "2023-12-31T00:00:00", "2023.0"]
)
def test_the_year_is_read_whether_an_integer_or_a_date(year):
    text = f"NUMEPCI;NOMEPCI;DTREF;NB_PLACES_EAJE\n{CARENE};CARENE;{year};1 250\n"
    parsed = open_data.read_caf_file(text, "PLACES_EAJE", MeasureKind.count)
    assert parsed.rows[0].year == 2023
    assert parsed.rows[0].value == 1250


def test_a_rate_above_100_is_real_and_kept():
    text = f"NUMEPCI;NOMEPCI;annee;TAUX_COUV_GLOBAL\n{NOZAY};CC de Nozay;2024;104,2\n"
    parsed = open_data.read_caf_file(text, "TXCOUV", MeasureKind.rate)
    assert parsed.rows[0].value == 104.2


def test_a_windows_1252_file_is_read():
    text = f"NUMEPCI;NOMEPCI;annee;TAUX_COUV_GLOBAL\n{CARENE};Région Nazairienne;2024;58,4\n"
    parsed = open_data.read_caf_file(text.encode("cp1252"), "TXCOUV", MeasureKind.rate)
    assert parsed.rows[0].name == "Région Nazairienne"


def test_an_empty_cell_is_statistical_secrecy_not_zero():
    text = f"NUMEPCI;NOMEPCI;annee;NB_PLACES_EAJE\n{CARENE};CARENE;2024;\n{NOZAY};Nozay;2024;80\n"
    parsed = open_data.read_caf_file(text, "PLACES_EAJE", MeasureKind.count)
    assert [r.code for r in parsed.rows] == [NOZAY]
    assert parsed.blanks == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"{CARENE};CARENE;2024;-3", "Ligne 2 : La valeur ne peut pas être négative"),
        (f"{CARENE};CARENE;vingt;58", "Ligne 2 : l'année « vingt » n'est pas lisible."),
        (f"{CARENE};CARENE;2024;beaucoup", "Ligne 2 : la valeur « beaucoup » n'est pas un nombre."),
        ("12AB;CARENE;2024;58", "Ligne 2 : le code « 12AB » n'est pas un code valide."),
        (
            f"{CARENE};CARENE;2024;1e30",
            "Ligne 2 : La valeur doit être au plus 1\u202f000\u202f000\u202f000\u202f000.",
        ),
    ],
)
def test_a_faulty_line_refuses_the_whole_file_naming_the_line(line, message):
    text = f"NUMEPCI;NOMEPCI;annee;TAUX_COUV_GLOBAL\n{line}\n"
    with pytest.raises(ValidationFailed) as refused:
        open_data.read_caf_file(text, "TXCOUV", MeasureKind.rate)
    assert message in refused.value.errors["file"]
    assert refused.value.errors["file"].startswith("Fichier refusé, rien n'a été importé.")


def test_a_file_without_the_caf_columns_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        open_data.read_caf_file("nom,valeur\nx,1\n", "TXCOUV", MeasureKind.rate)
    assert "forme des fichiers de la Caf" in refused.value.errors["file"]


def test_the_same_territory_twice_in_a_year_is_refused():
    text = (
        "NUMEPCI;NOMEPCI;annee;TAUX_COUV_GLOBAL\n"
        f"{CARENE};CARENE;2024;58,4\n{CARENE};CARENE;2024;59,0\n"
    )
    with pytest.raises(ValidationFailed, match="déjà une valeur pour 2024 \\(ligne 2\\)"):
        open_data.read_caf_file(text, "TXCOUV", MeasureKind.rate)


# --- importing: matched, unknown, nothing changed on a bad file -----------------------------------


def test_the_shipped_sample_imports_and_reports_matches_and_unknown_codes(session, admin):
    text = (SAMPLES / "caf_taux_couverture_epci_fictif.csv").read_text(encoding="utf-8")
    report = run_import(session, admin, "TXCOUV", text)
    assert report.matched == 17
    assert report.unknown_codes == ("200099999",)
    assert report.placeholders == 3  # one « XX » row per year
    assert report.years == (2022, 2023, 2024)
    assert (report.added, report.replaced) == (51, 0)
    nozay = [v for code, year, v in figures(session, 2022) if code == NOZAY]
    assert nozay == [101.7]


def test_importing_the_same_file_again_changes_nothing(session, admin):
    text = (SAMPLES / "caf_places_eaje_epci_fictif.csv").read_text(encoding="utf-8")
    run_import(session, admin, "PLACES_EAJE", text)
    before = figures(session)
    again = run_import(session, admin, "PLACES_EAJE", text)
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 34)
    assert figures(session) == before


def test_a_new_file_for_the_same_year_replaces_the_figure(session, admin):
    run_import(session, admin, "TXCOUV", f"NUMEPCI;annee;TAUX_COUV_GLOBAL\n{CARENE};2024;58,4\n")
    report = run_import(
        session, admin, "TXCOUV", f"NUMEPCI;annee;TAUX_COUV_GLOBAL\n{CARENE};2024;59,1\n"
    )
    assert report.replaced == 1
    assert figures(session) == [(CARENE, 2024, 59.1)]


def test_the_departement_file_gives_the_departement_figure(session, admin):
    text = (SAMPLES / "caf_taux_couverture_departement_fictif.csv").read_text(encoding="utf-8")
    report = run_import(session, admin, "TXCOUV", text)
    assert report.level == "departement"
    assert figures(session, 2024) == [("D44", 2024, 63.5)]


def test_a_file_whose_codes_match_no_territory_changes_nothing(session, admin):
    text = "NUMEPCI;annee;TAUX_COUV_GLOBAL\n200099999;2024;58,4\n200088888;2024;60\n"
    with pytest.raises(ValidationFailed) as refused:
        run_import(session, admin, "TXCOUV", text)
    assert "Aucun code du fichier ne correspond" in refused.value.errors["file"]
    assert "200099999, 200088888" in refused.value.errors["file"]
    assert figures(session) == []


def test_a_bad_line_at_the_end_changes_nothing_already_read(session, admin):
    text = (
        "NUMEPCI;annee;TAUX_COUV_GLOBAL\n"
        f"{CARENE};2024;58,4\n{NANTES_METROPOLE};2024;61\n{NOZAY};2024;-1\n"
    )
    with pytest.raises(ValidationFailed, match="Ligne 4"):
        run_import(session, admin, "TXCOUV", text)
    assert figures(session) == []


def test_only_the_admin_imports(world, session, admin):
    manager = world.user(Role.caf_manager)
    with pytest.raises(PermissionDenied):
        run_import(session, manager, "TXCOUV", f"NUMEPCI;annee;TAUX_COUV_GLOBAL\n{CARENE};2024;5\n")
    assert figures(session) == []


def test_a_file_of_another_indicator_is_not_read_as_this_one():
    # The allocataires sample has one value column, NB_ALLOC: never « assistants maternels ».
    text = (SAMPLES / "caf_allocataires_epci_fictif.csv").read_text(encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        open_data.read_caf_file(text, "ASSMAT", MeasureKind.count)
    assert (
        "pas de colonne pour l'indicateur ASSMAT (attendu : ASSMAT" in refused.value.errors["file"]
    )


def test_a_column_named_after_the_catalogue_code_is_read():
    text = f"NUMEPCI;annee;ASSMAT\n{CARENE};2024;412\n"
    parsed = open_data.read_caf_file(text, "ASSMAT", MeasureKind.count)
    assert (parsed.value_column, parsed.rows[0].value) == ("ASSMAT", 412)
