"""Pages opened in Debian's Chromium the way people open them: by a shared link, offline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import Convention
from tests.streamlit_server import Server, browser, offline_context, streamlit_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000


@pytest.fixture
def page(browser, streamlit_server: Server) -> Iterator[object]:  # noqa: F811
    context = offline_context(browser, viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    context.close()


def test_a_shared_link_to_a_convention_opens_it_on_a_fresh_server(page, streamlit_server):  # noqa: F811
    # This module starts its own server: the deep link is the very first request it serves.
    with Session(db.engine_for(streamlit_server.database_url)) as session:
        convention = session.exec(select(Convention).order_by(Convention.id)).first()
    page.goto(f"{streamlit_server.url}/convention?convention={convention.id}")

    title = page.locator("h1").first
    title.wait_for(state="visible")
    assert title.inner_text() == convention.title
    # The navigation is app.py's (French titles), not the list of files in pages/.
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert "Vue d'ensemble" in nav.inner_text()
    assert "vue ensemble" not in nav.inner_text()
    assert page.get_by_text("Mode démonstration").count() == 1
    assert page.context.outside == []


def test_every_page_loads_with_nothing_requested_outside_the_app(page, streamlit_server):  # noqa: F811
    for path, heading in [
        ("/financement", "Financement des postes de chargé de coopération"),
        ("/indicateurs", "Indicateurs"),
        ("/mes-actions", "Mes actions"),
        ("/comite", "Comité"),
        ("/administration", "Administration"),
    ]:
        page.goto(streamlit_server.url + path)
        page.locator("h1").first.wait_for(state="visible")
        assert heading in page.locator("h1").first.inner_text(), path
    assert page.context.outside == []


CRASH_SCREEN = "This app has encountered an error"


@pytest.mark.parametrize(
    "query",
    [
        "convention=2147483648",  # past PostgreSQL's integer
        "convention=9223372036854775808",  # past SQLite's integer
        "convention=%C2%B2",  # « ² »: str.isdigit() says yes
        "convention=%D9%A1%D9%A2",  # Arabic-Indic digits
        "convention=12%00",  # a NUL byte
    ],
)
def test_a_crafted_convention_number_gets_a_french_message(page, streamlit_server, query):  # noqa: F811
    page.goto(f"{streamlit_server.url}/convention?{query}")
    page.get_by_text("n'est pas un numéro de convention valide").wait_for()
    assert page.get_by_text(CRASH_SCREEN).count() == 0
    assert page.get_by_text("Traceback").count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/convention?convention=1&action=%C2%B2",
        "/convention?convention=1&action=99999999999",
        "/comite?convention=9223372036854775808",
        "/comite?reunion=%C2%B2",
        "/indicateurs?convention=%C2%B2",
    ],
)
def test_a_crafted_number_elsewhere_opens_the_page_without_a_crash(page, streamlit_server, path):  # noqa: F811
    page.goto(streamlit_server.url + path)
    page.locator("h1").first.wait_for(state="visible")
    assert page.get_by_text(CRASH_SCREEN).count() == 0
    assert page.get_by_text("Traceback").count() == 0
