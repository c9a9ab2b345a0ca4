"""Territories compared in Debian's Chromium, offline: the ranked chart on the Indicateurs
page, the same values as a layer of the overview map, and the URL that reopens that layer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import Convention, Territory
from ctg_core.overview import map as overview_map
from tests.factories import NANTES_METROPOLE
from tests.streamlit_server import Server, browser, offline_context, streamlit_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
MAP = ".ctg-map"  # the overview map's container in the page (ui/leaflet_map.py)
COVERAGE = "Taux de couverture en accueil du jeune enfant"
PLACES = "Places en établissements d'accueil du jeune enfant"


@pytest.fixture
def page(browser, streamlit_server: Server) -> Iterator[object]:  # noqa: F811
    context = offline_context(browser, viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    context.close()


@pytest.fixture(scope="module")
def nantes(streamlit_server: Server) -> int:  # noqa: F811
    with Session(db.engine_for(streamlit_server.database_url)) as session:
        return session.exec(
            select(Convention.id)
            .join(Territory, Territory.id == Convention.territory_id)
            .where(Territory.code == NANTES_METROPOLE)
        ).one()


def choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick `option` in the visible Streamlit selectbox labelled `label`."""
    box = page.locator('[data-testid="stSelectbox"]:visible').filter(has_text=label).first
    box.get_by_role("combobox").click()
    page.get_by_role("option", name=option, exact=True).click()


def layer_fills(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """() => {
            const fills = [];
            document.querySelector('.ctg-map').ctgMap.eachLayer(l => {
                if (l.feature && l.options.fillColor)
                fills.push(l.options.fillColor.toUpperCase()); });
            return fills;
        }"""
    )


def open_map(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.locator(MAP).locator("path.leaflet-interactive").nth(16).wait_for()
    page.get_by_text("Conventions signées").wait_for()  # a first visit: the rest after the map


def test_the_comparison_chart_shows_every_territory_and_the_departement(
    page,
    streamlit_server,  # noqa: F811
    nantes,
):
    page.goto(f"{streamlit_server.url}/indicateurs?convention={nantes}")
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.get_by_role("tab", name="Comparer les territoires").click()
    choose(page, "Indicateur du catalogue", COVERAGE)
    page.get_by_text(f"{COVERAGE} (places pour 100 enfants) — 2025").wait_for()
    choose(page, "Année", "2024")

    page.get_by_text("Valeur du département (44) : 63,5 places pour 100 enfants").wait_for()
    chart = page.locator('[data-testid="stVegaLiteChart"]:visible').first
    chart.wait_for()
    assert chart.bounding_box()["height"] > 19 * 20  # one readable bar per territory
    assert page.get_by_text("★ Votre territoire — Nantes Métropole").is_visible()
    page.screenshot(path=str(_shots() / "comparaison.png"))
    assert page.context.outside == []


def test_the_same_values_colour_the_overview_map_offline(page, streamlit_server):  # noqa: F811
    open_map(page, f"{streamlit_server.url}/?couche=TXCOUV&annee=2024")

    legend = page.get_by_label("Légende de la carte")
    assert page.get_by_text(f"{COVERAGE} (places pour 100 enfants) — 2024").is_visible()
    assert "pas de valeur : 0" in legend.inner_text()
    fills = layer_fills(page)
    assert len(fills) == 19 and set(fills) <= set(overview_map.LAYER_COLOURS)
    assert len(set(fills)) == 5  # five classes, each named in the legend
    page.screenshot(path=str(_shots() / "carte-couche.png"))
    assert [u for u in page.context.outside] == []


def test_choosing_a_layer_writes_it_in_the_url_and_the_url_reopens_it(page, streamlit_server):  # noqa: F811
    open_map(page, f"{streamlit_server.url}/")
    choose(page, "Couche de la carte", PLACES)
    page.wait_for_url(lambda url: "couche=PLACES_EAJE" in url and "annee=2024" in url)
    shared = page.url

    fresh = page.context.new_page()
    open_map(fresh, shared)
    assert fresh.get_by_text(f"{PLACES} (places) — 2024").is_visible()
    box = fresh.locator('[data-testid="stSelectbox"]').filter(has_text="Couche de la carte")
    assert box.get_by_role("combobox").input_value() == PLACES

    choose(fresh, "Couche de la carte", "Phase de la CTG")
    fresh.get_by_text("Pilotage et suivi :").wait_for()
    assert "couche=" not in fresh.url


def _shots():  # type: ignore[no-untyped-def]
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "build" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_convention_page_draws_each_indicator_s_sparkline(page, streamlit_server, nantes):  # noqa: F811
    page.goto(f"{streamlit_server.url}/convention?convention={nantes}")
    page.get_by_role("heading", name="Indicateurs").wait_for()
    link = page.get_by_role("link", name="Indicateurs : tendances, comparaison et saisie")
    link.scroll_into_view_if_needed()
    # The sparklines sit between the « Indicateurs » heading and the link to the page.
    heading_y = page.get_by_role("heading", name="Indicateurs").bounding_box()["y"]
    link_y = link.bounding_box()["y"]
    page.wait_for_function(
        """([top, bottom]) => {
            const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                .map(c => c.getBoundingClientRect())
                .filter(r => r.top + window.scrollY > top && r.top + window.scrollY < bottom);
            return charts.length > 0 && charts.every(r => r.height > 30);
        }""",
        arg=[heading_y + page.evaluate("window.scrollY"), link_y + page.evaluate("window.scrollY")],
    )
