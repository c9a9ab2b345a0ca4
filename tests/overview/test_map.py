"""The overview map builder: colours, escaping, offline assets, determinism, label points."""

from __future__ import annotations

import re
from datetime import date

import pytest
from shapely.geometry import Point, shape

from ctg_core.common.models import ConventionPhase, TerritoryKind
from ctg_core.overview import map as overview_map
from ctg_core.overview.queries import NO_CTG, PHASE_KEYS, TerritoryRow
from ctg_core.reference.territories import commune_layer_path, epci_layer_path, read_layer
from ui.leaflet_map import map_parts

XSS = "<img src=x onerror=alert(1)>"
NANTES_METROPOLE = "244400404"
TREILLIERES = "44209"


@pytest.fixture(scope="module")
def layers():
    return read_layer(epci_layer_path("44")), read_layer(commune_layer_path("44"))


@pytest.fixture(scope="module")
def shapes(layers):
    return overview_map.shapes_from_layers(*layers)


def row(code: str, name: str, kind=TerritoryKind.epci, **fields) -> TerritoryRow:
    return TerritoryRow(
        territory_id=int(code),
        code=code,
        name=name,
        kind=kind,
        epci_code=None,
        population=1000,
        **fields,
    )


@pytest.fixture(scope="module")
def every_epci(layers):
    epci, _ = layers
    phases = [ConventionPhase.pilotage, ConventionPhase.diagnostic, None]
    return [
        row(f["properties"]["siren"], f["properties"]["nom"], phase=phases[i % 3], convention_id=i)
        for i, f in enumerate(epci["features"])
    ]


def rendered(m) -> str:
    return m.get_root().render()


# --- colours ------------------------------------------------------------------------------


def test_every_phase_and_no_ctg_has_its_own_colour():
    assert set(overview_map.PHASE_COLOURS) == set(PHASE_KEYS)
    assert len(set(overview_map.PHASE_COLOURS.values())) == len(PHASE_KEYS)


@pytest.mark.parametrize("key", PHASE_KEYS)
def test_each_fill_reaches_3_to_1_against_the_plain_background(key):
    seen = overview_map.blend(
        overview_map.PHASE_COLOURS[key], overview_map.FILL_OPACITY["none"], overview_map.BACKGROUND
    )

    assert overview_map.contrast_ratio(seen, overview_map.BACKGROUND) >= 3


def test_contrast_ratio_follows_wcag():
    assert overview_map.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21)
    assert overview_map.contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1)
    assert overview_map.contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)
    assert overview_map.blend("#000000", 0.5) == "#808080"


def test_the_legend_gives_every_phase_in_words_with_its_count():
    legend = overview_map.legend_html({"pilotage": 10, NO_CTG: 2})

    assert "Pilotage et suivi : 10" in legend
    assert "Aucune CTG : 2" in legend
    assert "Préparation : 0" in legend
    assert legend.count("<li") == len(PHASE_KEYS)


# --- escaping -----------------------------------------------------------------------------


def test_user_text_never_reaches_the_page_as_markup(shapes):
    hostile = row(
        NANTES_METROPOLE,
        XSS,
        phase=ConventionPhase.pilotage,
        convention_id=1,
        officer_name=XSS,
        convention_title=XSS,
    )
    m = overview_map.overview_map([hostile], shapes)

    for text in (rendered(m), map_parts(m)["script"]):
        assert "<img" not in text
        assert "onerror=alert(1)\\u003e" in text
        assert "\\u003cimg src=x onerror=alert(1)\\u003e" in text
    # The browser writes tooltips and names as text nodes, never through innerHTML.
    script = map_parts(m)["script"]
    assert "textContent" in script
    assert "innerHTML" not in script


def test_tooltip_gives_phase_dates_officer_and_actions_in_words():
    texts = overview_map.tooltip_texts(
        row(
            NANTES_METROPOLE,
            "Nantes Métropole",
            phase=ConventionPhase.pilotage,
            convention_id=9,
            signed_on=date(2026, 10, 20),
            starts_on=date(2026, 1, 1),
            ends_on=date(2029, 12, 31),
            officer_name="Yann Petit",
            actions=34,
            actions_done=4,
            actions_late=3,
        )
    )

    assert texts == [
        "Nantes Métropole",
        "1\u202f000 hab.",
        "Pilotage et suivi",
        "signée le 20/10/2026 · 01/01/2026 → 31/12/2029",
        "Yann Petit",
        "12 % (4 sur 34)",
        "3",
    ]
    assert len(texts) == len(overview_map.TOOLTIP_LABELS)


def test_a_territory_without_ctg_says_so():
    texts = overview_map.tooltip_texts(row(TREILLIERES, "Treillières", kind=TerritoryKind.commune))

    assert texts[0] == "Treillières (commune)"
    assert texts[2] == "Aucune CTG"
    assert texts[3:] == ["—", "—", "—", "—"]


# --- offline and lean ---------------------------------------------------------------------


def test_the_map_loads_leaflet_from_the_app_and_nothing_from_outside(shapes, every_epci):
    m = overview_map.overview_map(every_epci, shapes)
    html = rendered(m)

    assert re.findall(r'<script[^>]*src="([^"]+)"', html) == ["/app/static/leaflet/leaflet.js"]
    assert re.findall(r'<link[^>]*href="([^"]+)"', html) == ["/app/static/leaflet/leaflet.css"]
    assert "http://" not in html and "https://" not in html
    assert "L.tileLayer" not in html


@pytest.mark.parametrize(
    ("tiles", "host"), [("osm", "tile.openstreetmap.org"), ("ign", "geopf.fr")]
)
def test_tiles_are_drawn_only_when_configured(shapes, every_epci, tiles, host):
    html = rendered(overview_map.overview_map(every_epci, shapes, tiles=tiles))

    assert "L.tileLayer" in html
    assert host in html
    assert '"fillOpacity":0.8' in html


def test_one_layer_draws_every_epci_and_then_the_communes_on_top(shapes, every_epci):
    commune = row(TREILLIERES, "Treillières", kind=TerritoryKind.commune)
    m = overview_map.overview_map([commune, *every_epci], shapes)
    script = map_parts(m)["script"]

    ids = re.findall(r'\{"type":"Feature","id":"(\d+)"', script)
    assert len(ids) == len(every_epci) + 1
    assert ids[-1] == TREILLIERES
    assert script.count("L.geoJSON(") == 1


def test_same_rows_build_the_same_map(shapes, every_epci):
    first = overview_map.overview_map(every_epci, shapes)
    second = overview_map.overview_map(every_epci, shapes)

    assert rendered(first) == rendered(second)
    assert map_parts(first)["script"] == (map_parts(second)["script"])


def test_a_phase_colours_its_territory(shapes):
    m = overview_map.overview_map([row(NANTES_METROPOLE, "Nantes Métropole")], shapes)

    assert f'"fillColor":"{overview_map.PHASE_COLOURS[NO_CTG]}"' in rendered(m)


# --- shapes and labels --------------------------------------------------------------------


def test_every_label_point_lies_inside_its_territory(layers, shapes):
    for layer, key in zip(layers, ("siren", "insee"), strict=True):
        for feature in layer["features"]:
            lat, lng = shapes.by_code[feature["properties"][key]].label_at
            assert shape(feature["geometry"]).contains(Point(lng, lat)), feature["properties"]


def test_a_crescent_gets_its_label_inside_not_at_its_centroid():
    # A "C": its centroid falls in the opening.
    crescent = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [3, 0], [3, 1], [1, 1], [1, 2], [3, 2], [3, 3], [0, 3], [0, 0]]],
    }
    lat, lng = overview_map.label_point(crescent)

    assert shape(crescent).contains(Point(lng, lat))


def test_the_view_covers_the_departement(shapes):
    (south, west), (north, east) = shapes.bounds

    assert 46.8 < south < 47.1 and 47.7 < north < 47.9
    assert -2.7 < west < -2.4 and -1.0 < east < -0.9


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("CA de la Région Nazairienne et de l'Estuaire (CARENE)", "CARENE"),
        ("CC du Pays d'Ancenis", "Pays d'Ancenis"),
        ("CC d'Erdre et Gesvres", "Erdre et Gesvres"),
        ("CC Sèvre et Loire", "Sèvre et Loire"),
        ("Nantes Métropole", "Nantes Métropole"),
    ],
)
def test_short_names_on_the_map(name, label):
    assert overview_map.short_name(name) == label


def test_epci_left_out_by_the_filters_stay_as_inert_outlines(shapes):
    m = overview_map.overview_map([row(NANTES_METROPOLE, "Nantes Métropole")], shapes)
    script = map_parts(m)["script"]

    assert script.count("L.geoJSON(") == 2
    assert "interactive: false" in script
    assert len(re.findall(r'\{"type":"Feature","geometry"', script)) == 16


def test_with_every_epci_shown_there_is_no_outline_layer(shapes, every_epci):
    script = map_parts(overview_map.overview_map(every_epci, shapes))["script"]

    assert script.count("L.geoJSON(") == 1


def test_the_parts_sent_to_the_page_hold_the_map_and_nothing_of_a_page_of_its_own(
    shapes, every_epci
):
    """ui/leaflet_map.py draws folium's map in the Streamlit page itself: without folium's
    document around it (nothing fetched from outside, nothing restyling or locking the page),
    with the script naming the map it builds."""

    parts = map_parts(overview_map.overview_map(every_epci, shapes))

    assert "<meta" not in parts["markup"]  # folium's viewport tag forbids zooming
    assert "html, body" not in parts["markup"] and "#map {" not in parts["markup"]
    assert "<script" not in parts["markup"] and "<link" not in parts["markup"]
    assert f'id="{parts["name"]}"' in parts["markup"]
    assert f"var {parts['name']} = L.map(" in parts["script"]
    assert re.search(r"https?://", parts["markup"] + parts["script"]) is None  # offline
    assert ".ctg-tooltip" in parts["markup"]  # the territories' own styles stay
