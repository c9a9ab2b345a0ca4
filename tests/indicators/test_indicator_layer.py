"""The overview map's indicator layer (a choropleth): classes, legend, escaping."""

import json
import re

import pytest

from ctg_core.common.models import TerritoryKind
from ctg_core.overview import map as overview_map
from ctg_core.overview.queries import TerritoryRow
from ctg_core.reference.territories import commune_layer_path, epci_layer_path, read_layer

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def shapes():
    return overview_map.shapes_from_layers(
        read_layer(epci_layer_path("44")), read_layer(commune_layer_path("44"))
    )


@pytest.fixture(scope="module")
def rows():
    epci = read_layer(epci_layer_path("44"))["features"]
    return [
        TerritoryRow(
            territory_id=i,
            code=f["properties"]["siren"],
            name=f["properties"]["nom"],
            kind=TerritoryKind.epci,
            epci_code=None,
            population=1000,
        )
        for i, f in enumerate(epci)
    ]


def layer(rows, title="Taux de couverture", skip=0) -> overview_map.IndicatorLayer:
    values = {
        r.code: overview_map.LayerValue(50.0 + i, f"{50 + i},0 places pour 100 enfants", "Caf")
        for i, r in enumerate(rows[skip:])
    }
    return overview_map.IndicatorLayer("TXCOUV", title, "places pour 100 enfants", 2024, values)


def features(m) -> list[dict]:
    html = m.get_root().render()
    collection = re.search(r'L\.geoJSON\((\{"type":"FeatureCollection".*?\}\]\})', html)
    return json.loads(collection.group(1).replace("\\u003c", "<").replace("\\u003e", ">"))[
        "features"
    ]


def test_values_fall_into_five_classes_of_about_the_same_size():
    bounds = overview_map.layer_classes(range(17))
    assert bounds == [2, 6, 9, 13, 16]
    assert [overview_map.class_of(v, bounds) for v in (0, 3, 7, 10, 16)] == [0, 1, 2, 3, 4]


def test_each_territory_is_coloured_by_its_class_and_says_its_value(rows, shapes):
    drawn = features(overview_map.indicator_map(rows, shapes, layer(rows)))
    fills = [f["properties"]["style"]["fillColor"] for f in drawn]
    assert set(fills) == set(overview_map.LAYER_COLOURS)
    first = next(f for f in drawn if f["properties"]["code"] == rows[0].code)
    assert first["properties"]["tooltip"][1] == "50,0 places pour 100 enfants"


def test_a_territory_without_a_value_is_pale_grey_and_counted_in_the_legend(rows, shapes):
    drawn = features(overview_map.indicator_map(rows, shapes, layer(rows, skip=2)))
    missing = [f for f in drawn if f["properties"]["value"] is None]
    assert len(missing) == 2
    assert {f["properties"]["style"]["fillColor"] for f in missing} == {
        overview_map.NO_VALUE_COLOUR
    }
    assert missing[0]["properties"]["tooltip"][1] == "pas de valeur"
    legend = overview_map.indicator_legend_html(layer(rows, skip=2), [r.code for r in rows])
    assert "pas de valeur : 2" in legend


def test_the_legend_gives_each_class_in_french_numbers_and_the_unit():
    values = {str(i): overview_map.LayerValue(v, "") for i, v in enumerate([1234.5, 2000, 3000])}
    legend = overview_map.indicator_legend_html(
        overview_map.IndicatorLayer("X", "Places", "places", 2024, values), ["0", "1", "2"]
    )
    assert "Places (places) — 2024" in legend
    assert "1\u202f234,5" in legend


def test_the_layer_s_title_is_escaped_in_the_legend_and_written_as_text_in_tooltips(rows, shapes):
    hostile = layer(rows, title=XSS)
    legend = overview_map.indicator_legend_html(hostile, [r.code for r in rows])
    assert XSS not in legend and "&lt;img src=x" in legend
    html = overview_map.indicator_map(rows, shapes, hostile).get_root().render()
    assert XSS not in html  # the tooltip labels are script-safe JSON, set with textContent


def test_the_same_values_give_the_same_map(rows, shapes):
    first = overview_map.indicator_map(rows, shapes, layer(rows)).get_root().render()
    second = overview_map.indicator_map(rows, shapes, layer(rows)).get_root().render()
    assert first == second
