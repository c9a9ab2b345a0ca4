"""The overview map in Debian's Chromium, with every request outside 127.0.0.1 blocked.

Opens `/`, sees the 17 EPCI polygons drawn, hovers one and reads its tooltip, clicks one and
follows the summary's link to its convention; a territory whose texts carry an XSS payload
shows the payload as text and runs nothing. A browser's first page is drawn in two passes
(`ui/first_paint.py`): the map first, then the rest around it, the map left as it is; a map
that cannot load Leaflet says so and the page is still drawn whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from sqlmodel import Session, select

from ctg_core.common import db
from ctg_core.common.models import Convention, CooperationPost, Territory
from ctg_core.overview import map as overview_map
from ctg_core.reference.territories import commune_layer_path, epci_layer_path, read_layer
from tests.streamlit_server import (  # noqa: F401  (fixtures)
    Server,
    browser,
    offline_context,
    streamlit_server,
)

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
XSS = "<img src=x onerror=alert(1)>"
NANTES_METROPOLE = "244400404"
CARENE = "244400644"
MAP = ".ctg-map"  # the map's container in the page (ui/leaflet_map.py)
MAP_JS = "document.querySelector('.ctg-map').ctgMap"  # its Leaflet map


@pytest.fixture(scope="module")
def hostile_nantes(streamlit_server: Server) -> dict[str, object]:  # noqa: F811
    """Nantes Métropole's convention title and officer carry the payload (demo database)."""
    with Session(db.engine_for(streamlit_server.database_url)) as session:
        territory = session.exec(select(Territory).where(Territory.code == NANTES_METROPOLE)).one()
        convention = session.exec(
            select(Convention).where(Convention.territory_id == territory.id)
        ).one()
        post = session.exec(
            select(CooperationPost).where(CooperationPost.territory_id == territory.id)
        ).one()
        convention.title = f"CTG {XSS}"
        post.officer_name = XSS
        session.add_all([convention, post])
        session.commit()
        ids = {code: c.id for code, c in _conventions(session).items()}
    return ids


def _conventions(session: Session) -> dict[str, Convention]:
    rows = session.exec(select(Territory.code, Convention).join(Convention)).all()
    return dict(rows)


@pytest.fixture(scope="module")
def label_points() -> dict[str, tuple[float, float]]:
    shapes = overview_map.shapes_from_layers(
        read_layer(epci_layer_path("44")), read_layer(commune_layer_path("44"))
    )
    return {code: s.label_at for code, s in shapes.by_code.items()}


class Visit:
    """One page in a fresh browser context: outside requests aborted and recorded."""

    def __init__(self, chromium, server: Server):  # type: ignore[no-untyped-def]
        self.server = server
        self.context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        self.aborted: list[tuple[str, str]] = []  # (url, frame url)
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.set_default_timeout(TIMEOUT_MS)

    def _route(self, route) -> None:  # type: ignore[no-untyped-def]
        request = route.request
        if urlparse(request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
            return
        frame = request.frame.url if request.frame else ""
        self.aborted.append((request.url, frame))
        route.abort()

    def _dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open_overview(self):  # type: ignore[no-untyped-def]
        self.page.goto(self.server.url + "/")
        polygons = self.map.locator("path.leaflet-interactive")
        polygons.nth(16).wait_for(state="visible")
        self.page.get_by_text("Conventions signées").wait_for()  # the whole page, not the map only
        return polygons

    @property
    def map(self):  # type: ignore[no-untyped-def]
        return self.page.locator(MAP)

    def point_of(self, lat_lng: tuple[float, float]) -> tuple[float, float]:
        """Page coordinates of a geographic point of the map (scrolled into view first)."""
        self.map.scroll_into_view_if_needed()
        x, y = self.page.evaluate(
            f"""([lat, lng]) => {{
                const map = {MAP_JS};
                const p = map.latLngToContainerPoint([lat, lng]);
                const r = map.getContainer().getBoundingClientRect();
                return [r.left + p.x, r.top + p.y];
            }}""",
            list(lat_lng),
        )
        return x, y

    def hover(self, lat_lng: tuple[float, float]) -> str:
        x, y = self.point_of(lat_lng)
        self.page.mouse.move(x - 5, y - 5)
        self.page.mouse.move(x, y)
        tooltip = self.map.locator(".leaflet-tooltip")
        tooltip.wait_for(state="visible")
        return tooltip.inner_text()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, streamlit_server, hostile_nantes) -> Iterator[Visit]:  # noqa: F811
    opened = Visit(browser, streamlit_server)
    yield opened
    opened.close()


def test_the_overview_draws_the_17_epci_with_no_outside_request(visit):
    polygons = visit.open_overview()

    assert polygons.count() == 19  # 17 EPCI and the two communes with a CTG of their own
    drawn = visit.page.evaluate(
        f"""() => {{
            const codes = [];
            {MAP_JS}.eachLayer(l => {{
                const box = l._path && l._path.getBBox();
                if (l.feature && box && box.width > 0 && box.height > 0)
                    codes.push(l.feature.properties.code);
            }});
            return codes;
        }}"""
    )
    assert len([c for c in drawn if len(c) == 9]) == 17
    assert len(visit.map.locator(".ctg-label").all()) == 17
    # Nothing the page or its map needs came from outside: no request was blocked.
    assert visit.aborted == []
    assert visit.page.evaluate("typeof L.version") == "string"


def test_hovering_a_territory_shows_its_tooltip_in_words(visit, label_points):
    visit.open_overview()

    text = visit.hover(label_points[CARENE])

    assert "Territoire" in text
    assert "CA de la Région Nazairienne et de l'Estuaire (CARENE)" in text
    assert "133\u202f408 hab." in text
    assert "Phase" in text and "Pilotage et suivi" in text
    assert "Chargé de coopération" in text
    assert "Actions en retard" in text


def test_clicking_a_territory_opens_its_summary_and_leads_to_its_convention(
    visit, label_points, hostile_nantes
):
    visit.open_overview()
    x, y = visit.point_of(label_points[CARENE])
    visit.page.mouse.click(x, y)

    link = visit.page.get_by_role("link", name="Ouvrir la convention")
    link.wait_for(state="visible")
    assert visit.page.get_by_text("Convention : CTG CA de la Région Nazairienne").is_visible()
    link.click()

    visit.page.wait_for_url(f"**/convention?convention={hostile_nantes[CARENE]}")


def test_a_payload_in_names_shows_as_text_and_runs_nothing(visit, label_points):
    visit.open_overview()

    text = visit.hover(label_points[NANTES_METROPOLE])
    assert f"Chargé de coopération\t{XSS}" in text
    x, y = visit.point_of(label_points[NANTES_METROPOLE])
    visit.page.mouse.click(x, y)
    visit.page.get_by_text(f"Convention : CTG {XSS}").wait_for(state="visible")
    visit.page.wait_for_timeout(500)  # give a planted handler every chance to fire

    assert visit.dialogs == []
    assert visit.page.locator('img[src="x"]').count() == 0
    assert visit.map.locator('img[src="x"]').count() == 0


# Injected before the page's own scripts: when the polygons, then the first figure, appear.
ORDER_JS = """(() => {
    window.__seen = {};
    const timer = setInterval(() => {
        const now = performance.now();
        if (!window.__seen.polygons && document.querySelectorAll(
                ".ctg-map path.leaflet-interactive").length >= 17) {
            window.__seen.polygons = now;
            window.__seen.placeholder = document.body.innerText.includes(
                "Chiffres clés en cours de chargement");
        }
        if (!window.__seen.figures && document.querySelector('[data-testid="stMetric"]'))
            window.__seen.figures = now;
        if (window.__seen.polygons && window.__seen.figures) clearInterval(timer);
    }, 5);
})();"""


def test_a_first_visit_draws_the_map_first_then_the_page_around_it(visit):
    visit.context.add_init_script(ORDER_JS)
    visit.page.goto(visit.server.url + "/")
    visit.map.locator("path.leaflet-interactive").nth(16).wait_for(state="visible")
    visit.page.evaluate(f"window.__firstMap = {MAP_JS}")

    visit.page.get_by_text("Conventions signées").wait_for()
    visit.page.get_by_role("combobox", name="Profil de démonstration").wait_for()
    visit.page.get_by_role("combobox", name="Phase de la CTG").wait_for()
    visit.page.get_by_text("Pilotage et suivi :").wait_for()  # the legend beside the map
    seen = visit.page.evaluate("window.__seen")

    assert seen["polygons"] < seen["figures"]  # the map did not wait for the figures
    assert seen["placeholder"]  # it came with the light pass, the figures' place kept
    # The second pass left the map as it was: the same Leaflet map, not drawn again.
    assert visit.page.evaluate(f"{MAP_JS} === window.__firstMap")
    assert visit.map.locator("path.leaflet-interactive").count() == 19
    assert visit.page.get_by_text("Chiffres clés en cours de chargement").count() == 0


def test_a_map_that_cannot_load_leaflet_says_so_and_the_page_is_still_drawn_whole(visit):
    visit.context.route("**/app/static/leaflet/leaflet.js", lambda route: route.abort())
    visit.page.goto(visit.server.url + "/")

    visit.page.get_by_role("alert").filter(has_text="La carte n'a pas pu être affichée").wait_for()
    visit.page.get_by_text("Conventions signées").wait_for()
    visit.page.get_by_role("combobox", name="Phase de la CTG").wait_for()
    visit.page.get_by_role("tab", name="Tableau").click()
    visit.page.locator('[data-testid="stDataFrame"]').first.wait_for()  # the accessible twin


@pytest.mark.parametrize(
    ("viewport", "scale", "menu_shown"),
    [({"width": 683, "height": 384}, 2, False), ({"width": 1366, "height": 768}, 1, True)],
    ids=["683x384@2x", "1366x768"],
)
def test_the_menu_folds_away_at_200_percent_and_stays_open_on_a_laptop(
    browser,  # noqa: F811
    streamlit_server,  # noqa: F811
    viewport,
    scale,
    menu_shown,
):
    """At 200 % zoom the sidebar, open, covered most of the overview (its title included)."""
    context = offline_context(browser, viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(streamlit_server.url + "/")
    page.get_by_text("Conventions signées").wait_for()
    title = page.get_by_role("heading", name="Vue d'ensemble des CTG")
    box = title.bounding_box()

    seen = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('h1') !== null",
        [box["x"] + 5, box["y"] + box["height"] / 2],
    )
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert seen  # the title's first letters are not under the sidebar
    assert sidebar.get_attribute("data-collapsed") == str(not menu_shown).lower()
    assert context.outside == []
    context.close()
