"""Spreadsheets through the pages, in Debian's Chromium: each table page's downloads open in
openpyxl with no formula, the tables' own English CSV download is gone, and a plan is
imported by upload → preview → confirmation."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import Action, Convention, CooperationPost, Indicator, PostHolder
from tests.exchange.sheets import csv_rows, dangerous_csv_cells, formula_cells
from tests.streamlit_server import Server, browser, streamlit_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)  # a loaded machine: wait on conditions, long enough


@pytest.fixture(scope="module")
def hostile(streamlit_server: Server) -> int:  # noqa: F811
    """Texts that begin like formulas in every table of the demo's first convention."""
    with Session(db.engine_for(streamlit_server.database_url)) as session:
        convention = session.exec(select(Convention).order_by(Convention.id)).first()
        convention.title = "=CTG malicieuse"
        action = session.exec(
            select(Action).where(Action.convention_id == convention.id).order_by(Action.code)
        ).first()
        action.title = '=HYPERLINK("http://exemple.invalid";"Cliquez")'
        action.lead = "+cmd|' /C calc'!A0"
        action.vigilance = "@SOMME(A1:A9)"
        for post in session.exec(select(CooperationPost)):
            post.officer_name = "-2+3"
        for holder in session.exec(select(PostHolder)):
            holder.name = "-2+3"
        for indicator in session.exec(
            select(Indicator).where(Indicator.convention_id == convention.id)
        ):
            indicator.name = f"={indicator.name}"
        session.add(convention)
        session.add(action)
        session.commit()
        return convention.id  # type: ignore[return-value]


@pytest.fixture
def page(browser, streamlit_server: Server) -> Iterator[object]:  # noqa: F811
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="fr-FR", accept_downloads=True
    )
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    context.close()


def download(page, button: str) -> bytes:
    target = page.get_by_role("button", name=button, exact=True)
    target.scroll_into_view_if_needed()
    with page.expect_download() as info:
        target.click()
    return Path(info.value.path()).read_bytes()


@pytest.mark.parametrize(
    ("path", "excel_button", "neutralised"),
    [
        ("/convention?convention={id}", "Plan affiché (Excel)", "'=HYPERLINK"),
        ("/convention?convention={id}", "Historique complet (Excel)", None),
        ("/?vue=Tableau", "Tableau affiché (Excel)", "'=CTG malicieuse"),
        ("/indicateurs?convention={id}", "Valeurs des indicateurs (Excel)", "'="),
        ("/financement", "Lignes (Excel)", "'-2+3"),
    ],
)
def test_a_table_page_downloads_excel_and_csv_that_hold_no_formula(
    page,
    streamlit_server,  # noqa: F811
    hostile,
    path,
    excel_button,
    neutralised,
):
    page.goto(streamlit_server.url + path.format(id=hostile))
    expect(page.get_by_role("button", name=excel_button, exact=True)).to_be_visible()

    workbook = download(page, excel_button)
    text = download_csv(page, excel_button)

    sheet = load_workbook(io.BytesIO(workbook)).active
    assert sheet.max_row >= 2 and len(csv_rows(text)) >= 2
    assert formula_cells(workbook) == []
    assert dangerous_csv_cells(text) == []
    if neutralised:  # the hostile texts are in the files, made inert
        assert any(str(c.value).startswith(neutralised) for row in sheet.iter_rows() for c in row)
        assert any(c.startswith(neutralised) for row in csv_rows(text) for c in row)


def download_csv(page, excel_button: str) -> bytes:
    """The « CSV » button beside the Excel one (a page may hold several), in the same bar."""
    excel = page.get_by_role("button", name=excel_button, exact=True)
    bar = page.locator("div[class*='st-key-'][class*='-bar']", has=excel)
    csv_button = bar.get_by_role("button", name="CSV", exact=True)
    with page.expect_download() as info:
        csv_button.click()
    return Path(info.value.path()).read_bytes()


def test_the_tables_own_english_csv_download_is_gone(page, streamlit_server):  # noqa: F811
    page.goto(streamlit_server.url + "/financement")
    table = page.locator('[data-testid="stDataFrame"]').first
    table.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]').first
    expect(toolbar.get_by_role("button", name="Search")).to_be_visible()

    assert toolbar.get_by_role("button", name="Download as CSV").count() == 0


def test_a_plan_is_imported_from_the_page_after_its_preview_and_a_confirmation(
    page,
    streamlit_server,  # noqa: F811
    hostile,
):
    page.goto(f"{streamlit_server.url}/convention?convention={hostile}")
    page.get_by_text("Importer un plan d'actions (Excel ou CSV)").click()
    content = "Axe;Code;Intitulé;Avancement\r\nPE;NAV-01;Ludothèque itinérante;15 %\r\n"

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        {"name": "plan.csv", "mimeType": "text/csv", "buffer": content.encode("cp1252")}
    )
    ask = page.get_by_role("button", name="Importer (1 création)…")
    expect(page.get_by_text("Aperçu de « plan.csv »")).to_be_visible()
    ask.click()
    page.get_by_role("dialog").get_by_role("button", name="Importer", exact=True).click()

    expect(page.get_by_text("Import terminé : 1 fiche(s) créée(s), 0 modifiée(s).")).to_be_visible()
    with Session(db.engine_for(streamlit_server.database_url)) as session:
        created = session.exec(select(Action).where(Action.code == "NAV-01")).one()
    assert (created.convention_id, created.title, created.progress) == (
        hostile,
        "Ludothèque itinérante",
        15,
    )


def test_a_refused_file_shows_its_lines_in_french_and_offers_no_import(
    page,
    streamlit_server,  # noqa: F811
    hostile,
):
    page.goto(f"{streamlit_server.url}/convention?convention={hostile}")
    page.get_by_text("Importer un plan d'actions (Excel ou CSV)").click()
    content = "Axe;Code;Intitulé\r\nCulture;CU-01;Musée\r\n"

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        {"name": "plan.csv", "mimeType": "text/csv", "buffer": content.encode()}
    )

    expect(page.get_by_text("1 problème dans le fichier")).to_be_visible()
    expect(page.get_by_text("rien ne sera importé")).to_be_visible()
    assert page.get_by_role("button", name=re.compile(r"^Importer \(")).count() == 0
