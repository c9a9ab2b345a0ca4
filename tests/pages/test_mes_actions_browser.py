"""Mes actions in Debian's Chromium, on two app servers sharing one PostgreSQL database (as
behind a load balancer): what one saves the other shows on its next rerun, and a concurrent
save of the same action is refused as a conflict in one of them. At 1366 px the columns to
edit are on screen.

The table is a canvas: cells are read through its accessible twin (`glide-cell-<col>-<row>`)
and edited as a user does, by clicking a cell and typing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from ctg_core.common import auth, db
from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import Action, Role
from ctg_core.plan import queries as plan_queries
from ctg_core.setup import bootstrap
from tests.conftest import TODAY, scratch_postgres
from tests.streamlit_server import Server, browser, running_app  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000
# Column widths set by the page (pixels): Code, Statut, Avancement, Commentaire, Vigilance.
WIDTHS = [70, 130, 140, 240, 200]
HEADER_PX, ROW_PX = 35, 35
COMMENT, VIGILANCE = 3, 4  # column positions when no « État » column is shown


@pytest.fixture(scope="module")
def two_servers(postgres_url: str, tmp_path_factory) -> Iterator[tuple[Server, Server]]:
    """Two `streamlit run app.py` processes on one PostgreSQL database with the demo data."""
    folder = tmp_path_factory.mktemp("two-servers")
    with scratch_postgres("ctg_two") as url:
        bootstrap.prepare(url, demo=True, today=TODAY)
        env = {"CTG_TODAY": TODAY.isoformat()}
        with (
            running_app(url, env=env, log_path=folder / "first.log") as first,
            running_app(url, env=env, log_path=folder / "second.log") as second,
        ):
            yield first, second
        db.engine_for(url).dispose()


@pytest.fixture
def open_page(browser):  # noqa: F811
    contexts = []

    def opened(server: Server, width: int = 1366, height: int = 768):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
        contexts.append(context)
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if urlparse(route.request.url).hostname in {"127.0.0.1", "localhost"}
                else route.abort()
            ),
        )
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        # A fresh server's first session goes through app.py once (see ui.auth): open the
        # home page first so that the deep link below is served by the page list.
        page.goto(server.url)
        page.get_by_role("heading", name="Vue d'ensemble").wait_for()
        page.goto(server.url + "/mes-actions")
        table_ready(page)
        return page

    yield opened
    for context in contexts:
        context.close()


def table_ready(page) -> None:  # type: ignore[no-untyped-def]
    """The page has run to its end (the paging line is drawn below the table)."""
    page.get_by_text(re.compile(r"Actions 1 à \d+ sur \d+")).wait_for()


def grid(page):  # type: ignore[no-untyped-def]
    return page.locator('.st-key-mes-actions-table [data-testid="stDataFrame"]')


def cell(page, column: int, row: int):  # type: ignore[no-untyped-def]
    return grid(page).locator(f'[data-testid="glide-cell-{column}-{row}"]')


def select_cell(page, column: int, row: int) -> None:  # type: ignore[no-untyped-def]
    box = grid(page).locator('[data-testid="data-grid-canvas"]').bounding_box()
    x = box["x"] + sum(WIDTHS[:column]) + WIDTHS[column] / 2
    y = box["y"] + HEADER_PX + ROW_PX * row + ROW_PX / 2
    page.mouse.click(x, y)
    expect(cell(page, column, row)).to_have_attribute("aria-selected", "true")


def type_in_cell(page, column: int, row: int, text: str) -> None:  # type: ignore[no-untyped-def]
    select_cell(page, column, row)
    page.keyboard.press("Enter")  # open the cell's editor
    editor = page.locator("textarea.gdg-input")
    editor.wait_for()
    editor.fill(text)
    page.keyboard.press("Enter")  # commit: the page reruns with the input


def save(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name=re.compile(r"Enregistrer 1 modification")).click()
    page.get_by_role("dialog").get_by_role("button", name="Enregistrer", exact=True).click()


def persona(server: Server, role: Role) -> CurrentUser:
    with Session(db.engine_for(server.database_url)) as session:
        return next(p for p in auth.demo_personas(session) if p.role is role)


def action_id_of_row(server: Server, row: int) -> int:
    """The action the administrator's table shows at `row` on its first page."""
    with Session(db.engine_for(server.database_url)) as session:
        admin = persona(server, Role.admin)
        frame = plan_queries.officer_actions(session, admin, TODAY, limit=row + 1)
    return int(frame["id"].iloc[row])


def test_a_save_through_one_server_shows_through_the_other_on_its_next_rerun(
    two_servers, open_page
):
    first, second = two_servers
    mine, theirs = open_page(first), open_page(second)

    type_in_cell(mine, COMMENT, 0, "Vu en COTECH (serveur 1)")
    save(mine)
    expect(mine.get_by_text("Dernier enregistrement : 1 action(s) enregistrée(s).")).to_be_visible()

    type_in_cell(theirs, COMMENT, 1, "Saisie sur le serveur 2")  # any interaction reruns
    expect(cell(theirs, COMMENT, 0)).to_have_text("Vu en COTECH (serveur 1)")
    expect(cell(theirs, COMMENT, 1)).to_have_text("Saisie sur le serveur 2")


def test_the_same_action_saved_through_both_servers_is_a_conflict_in_the_second(
    two_servers, open_page
):
    first, second = two_servers
    mine, theirs = open_page(first), open_page(second)
    action_id = action_id_of_row(first, 2)

    type_in_cell(mine, VIGILANCE, 2, "Vigilance du serveur 1")
    type_in_cell(theirs, VIGILANCE, 2, "Vigilance du serveur 2")
    save(mine)
    expect(mine.get_by_text("Dernier enregistrement : 1 action(s) enregistrée(s).")).to_be_visible()
    save(theirs)

    expect(
        theirs.get_by_text("Dernier enregistrement : 0 action(s) enregistrée(s), 1 non")
    ).to_be_visible()
    report = theirs.locator('.st-key-mes-actions-report-table [data-testid="stDataFrame"]')
    expect(report.locator('[data-testid="glide-cell-1-0"]')).to_have_text("⚠ Conflit")
    with Session(db.engine_for(first.database_url)) as session:
        assert session.get(Action, action_id).vigilance == "Vigilance du serveur 1"
    # The refused input stays in the table, flagged, ready to re-apply.
    expect(cell(theirs, VIGILANCE + 1, 2)).to_have_text("Vigilance du serveur 2")


@pytest.mark.parametrize("role", [Role.admin, Role.caf_advisor])
def test_the_columns_to_edit_are_on_screen_at_1366_px(two_servers, open_page, role):
    server = two_servers[0]
    page = open_page(server)
    if role is not Role.admin:  # the first demo profile is the administrator
        with Session(db.engine_for(server.database_url)) as session:
            count = plan_queries.officer_action_count(session, persona(server, role), TODAY)
        page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click()
        page.get_by_role("option", name=re.compile(role.label)).click()
        page.get_by_text(re.compile(f"Actions 1 à \\d+ sur {count} ")).wait_for()
    canvas = grid(page).locator('[data-testid="data-grid-canvas"]').bounding_box()
    assert canvas["x"] + sum(WIDTHS) <= 1366  # Code … Point de vigilance fit in the window
    for column in (1, 2, COMMENT, VIGILANCE):  # a click where each one is drawn selects it
        select_cell(page, column, 0)
