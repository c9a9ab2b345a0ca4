"""Any département's map, and the national map's drill-down, in Debian's Chromium, offline.

`CTG_DEPARTEMENT=33` and `CTG_DEPARTEMENT=2A` each get a fresh database prepared as `make run`
would (their layers built by `make geodata-test`) and must draw every EPCI of their layer with
no request leaving the machine. With Loire-Atlantique and Gironde loaded, the page opens on
France; clicking Loire-Atlantique opens its 17 EPCI (`?dep=44`), and the « Échelle de la
carte » list, used with the keyboard, leads back to France.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ctg_core.common import db
from ctg_core.overview import map as overview_map
from ctg_core.reference import territories
from tests.conftest import TODAY
from tests.overview.test_departements import require_layers
from tests.streamlit_server import (  # noqa: F401  (fixtures)
    Server,
    browser,
    offline_context,
    prepare_demo_database,
    running_app,
)

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
MAP = ".ctg-map"  # the map's container in the page (ui/leaflet_map.py)
MAP_JS = "document.querySelector('.ctg-map').ctgMap"  # its Leaflet map


def epci_count(departement: str) -> int:
    return len(territories.read_layer(territories.epci_layer_path(departement))["features"])


@pytest.fixture(scope="module")
def page_in(browser, tmp_path_factory):  # noqa: F811
    """Open `/` of a server in a fresh offline context: yields (page, context)."""
    opened = []

    def open_page(server: Server, path: str = "/"):  # type: ignore[no-untyped-def]
        context = offline_context(browser, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server.url + path)
        opened.append(context)
        return page, context

    yield open_page
    for context in opened:
        context.close()


def drawn_codes(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Codes of the map's interactive features that have a visible box."""
    return page.evaluate(
        f"""() => {{
            const codes = [];
            {MAP_JS}.eachLayer(l => {{
                const box = l._path && l._path.getBBox();
                if (l.feature && l.feature.properties.code && box && box.width > 0)
                    codes.push(l.feature.properties.code);
            }});
            return codes.sort();
        }}"""
    )


@pytest.fixture(scope="module", params=["33", "2A"])
def departement_server(request, tmp_path_factory) -> Iterator[tuple[str, Server]]:
    departement = request.param
    require_layers(departement)
    folder = tmp_path_factory.mktemp(f"dep{departement}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CTG_DEPARTEMENT", departement)  # as `CTG_DEPARTEMENT=33 make run`
        url = prepare_demo_database(folder / "ctg.db", TODAY)
    env = {"CTG_DEPARTEMENT": departement, "CTG_TODAY": TODAY.isoformat()}
    with running_app(url, env=env, log_path=folder / "streamlit.log") as server:
        yield departement, server
    db.engine_for(url).dispose()


def test_a_departement_named_by_ctg_departement_draws_its_epci_offline(departement_server, page_in):
    departement, server = departement_server
    expected = epci_count(departement)
    page, context = page_in(server)

    polygons = page.locator(MAP).locator("path.leaflet-interactive")
    polygons.nth(expected - 1).wait_for(state="visible")

    epci = [c for c in drawn_codes(page) if len(c) == 9]
    layer = territories.read_layer(territories.epci_layer_path(departement))
    assert epci == sorted(f["properties"]["siren"] for f in layer["features"])
    assert page.get_by_text("n'est pas installée").count() == 0
    assert context.outside == []


@pytest.fixture(scope="module")
def national_server(tmp_path_factory) -> Iterator[Server]:
    require_layers("33")
    folder = tmp_path_factory.mktemp("national")
    url = prepare_demo_database(folder / "ctg.db", TODAY, ("44", "33"))
    env = {"CTG_DEPARTEMENT": "44", "CTG_TODAY": TODAY.isoformat()}
    with running_app(url, env=env, log_path=folder / "streamlit.log") as server:
        yield server
    db.engine_for(url).dispose()


def settled(page, caption: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for the page's new caption, then for the previous map to be gone (Streamlit
    keeps the old element on screen until the new run has drawn its own)."""
    page.get_by_text(caption).wait_for(state="visible")
    page.wait_for_function(
        f"document.querySelectorAll('{MAP}').length === 1"
        " && !document.querySelector('[data-stale=\"true\"]')"
    )


def click_on(page, lat_lng: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    page.locator(MAP).scroll_into_view_if_needed()
    x, y = page.evaluate(
        f"""([lat, lng]) => {{
            const map = {MAP_JS};
            const p = map.latLngToContainerPoint([lat, lng]);
            const r = map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }}""",
        list(lat_lng),
    )
    page.mouse.click(x, y)


def test_the_national_map_drills_into_a_departement_and_back_to_france(national_server, page_in):
    france = overview_map.france_shapes(territories.read_layer(territories.france_layer_path()))
    page, context = page_in(national_server)
    departements = page.locator(MAP).locator("path.leaflet-interactive")
    departements.nth(1).wait_for(state="visible")
    page.get_by_text("Conventions signées").wait_for()  # the page around the map: no more moves
    assert drawn_codes(page) == ["33", "44"]  # the other départements are inert outlines
    assert departements.count() == 2

    click_on(page, france.by_code["44"].label_at)

    page.wait_for_url("**dep=44**")
    settled(page, "Loire-Atlantique (44) · ")
    epci = page.locator(MAP).locator("path.leaflet-interactive")
    epci.nth(16).wait_for(state="visible")
    assert len([c for c in drawn_codes(page) if len(c) == 9]) == 17

    # Back to France with the keyboard: the list is a combobox.
    page.get_by_role("combobox", name="Échelle de la carte").focus()
    page.keyboard.type("France")
    page.keyboard.press("Enter")
    page.wait_for_url("**dep=france**")
    settled(page, "France entière · ")
    departements.nth(1).wait_for(state="visible")
    assert drawn_codes(page) == ["33", "44"]
    assert context.outside == []
