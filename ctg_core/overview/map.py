"""The overview map: territories coloured by the phase of their CTG (folium, no database).

Built to work offline and to stay cheap in the browser:
- Leaflet comes from the app itself (`/app/static/leaflet/`, put there by `make setup`);
  folium's other CDN defaults (jQuery, Bootstrap, Font Awesome) are dropped.
- One GeoJSON layer holds every territory, with its style and escaped tooltip texts in its
  properties; names are drawn as non-interactive labels (no tiles needed).
- Element ids are numbered, not random, so the same rows always give the same map: a
  rerun of the page then leaves the drawn map alone.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Element
from folium.template import Template

from ctg_core.common import formats
from ctg_core.common.models import TerritoryKind
from ctg_core.overview.queries import (
    NO_CTG,
    PHASE_KEYS,
    DepartementRow,
    TerritoryRow,
    phase_label,
)

LEAFLET_JS = "/app/static/leaflet/leaflet.js"
LEAFLET_CSS = "/app/static/leaflet/leaflet.css"

# Paul Tol's "muted" scheme (colour-blind safe), keeping the members that reach 3:1 against
# white; grey marks territories without a CTG. The phase is also written in the tooltip,
# the legend and the table: colour is never the only carrier.
PHASE_COLOURS: dict[str, str] = {
    "preparation": "#CC6677",
    "diagnostic": "#999933",
    "plan_actions": "#AA4499",
    "pilotage": "#117733",
    "evaluation": "#332288",
    "echue": "#882255",
    NO_CTG: "#767676",
}
BACKGROUND = "#FFFFFF"
FILL_OPACITY = {"none": 1.0, "osm": 0.8, "ign": 0.8}

TILES: dict[str, dict[str, str]] = {
    "osm": {
        "tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "&copy; les contributeurs d'OpenStreetMap",
        "name": "OpenStreetMap",
    },
    "ign": {
        "tiles": (
            "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&FORMAT=image/png"
            "&TILEMATRIXSET=PM&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
        ),
        "attr": "&copy; IGN – Géoplateforme",
        "name": "Plan IGN",
    },
}

TOOLTIP_LABELS = [
    "Territoire",
    "Population",
    "Phase",
    "Dates",
    "Chargé de coopération",
    "Actions réalisées",
    "Actions en retard",
]


# --- colours ------------------------------------------------------------------------------


def _channels(colour: str) -> tuple[float, float, float]:
    value = colour.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255)


def blend(colour: str, opacity: float, background: str = BACKGROUND) -> str:
    """The colour seen when `colour` is painted with `opacity` over `background`."""
    mixed = [
        round((opacity * f + (1 - opacity) * b) * 255)
        for f, b in zip(_channels(colour), _channels(background), strict=True)
    ]
    return "#" + "".join(f"{c:02X}" for c in mixed)


def contrast_ratio(colour: str, background: str = BACKGROUND) -> float:
    """WCAG 2 contrast ratio between two sRGB colours (1 to 21)."""

    def luminance(c: str) -> float:
        linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in _channels(c)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- shapes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A territory's outline from the GeoJSON layers, with where its name is written."""

    code: str
    kind: TerritoryKind | None  # None for a département (the national map)
    geometry: dict[str, Any]
    label_at: tuple[float, float]  # (lat, lng)
    geometry_js: str  # the geometry as script-safe JSON, serialised once per process


@dataclass(frozen=True)
class Shapes:
    by_code: dict[str, Shape]
    bounds: tuple[tuple[float, float], tuple[float, float]]  # ((south, west), (north, east))


def shapes_from_layers(epci_layer: Mapping[str, Any], commune_layer: Mapping[str, Any]) -> Shapes:
    """Index the département's EPCI (by SIREN) and communes (by INSEE code).

    The map's initial view is the EPCI layer's extent, whatever the filters show.
    """
    by_code: dict[str, Shape] = {}
    for layer, key, kind in (
        (epci_layer, "siren", TerritoryKind.epci),
        (commune_layer, "insee", TerritoryKind.commune),
    ):
        for feature in layer["features"]:
            code = str(feature["properties"][key])
            geometry = feature["geometry"]
            if geometry is None:  # a commune the geometry source does not have (yet)
                continue
            by_code[code] = Shape(
                code, kind, geometry, label_point(geometry), script_json(geometry)
            )
    points = [pt for f in epci_layer["features"] if f["geometry"] for pt in _points(f["geometry"])]
    lngs = [p[0] for p in points]
    lats = [p[1] for p in points]
    bounds = ((min(lats), min(lngs)), (max(lats), max(lngs)))
    return Shapes(by_code, bounds)


def _polygons(geometry: Mapping[str, Any]) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(f"géométrie non surfacique : {geometry['type']}")


def _points(geometry: Mapping[str, Any]) -> Iterator[list[float]]:
    for polygon in _polygons(geometry):
        for ring in polygon:
            yield from ring


def _ring_area_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    area /= 2
    if area == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(area), cx / (6 * area), cy / (6 * area)


def _inside(x: float, y: float, polygon: list[list[list[float]]]) -> bool:
    inside = False
    for ring in polygon:  # holes flip the parity back
        for (x0, y0), (x1, y1) in itertools.pairwise(ring):
            if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                inside = not inside
    return inside


def label_point(geometry: Mapping[str, Any]) -> tuple[float, float]:
    """A point inside the largest polygon, near its centroid: (lat, lng).

    The centroid of a crescent-shaped territory falls outside it; then the label goes to
    the middle of the widest inside stretch of the centroid's parallel.
    """
    polygon = max(_polygons(geometry), key=lambda p: _ring_area_centroid(p[0])[0])
    _, cx, cy = _ring_area_centroid(polygon[0])
    if _inside(cx, cy, polygon):
        return round(cy, 5), round(cx, 5)
    crossings = sorted(
        x0 + (cy - y0) * (x1 - x0) / (y1 - y0)
        for ring in polygon
        for (x0, y0), (x1, y1) in itertools.pairwise(ring)
        if (y0 > cy) != (y1 > cy)
    )
    spans = list(zip(crossings[::2], crossings[1::2], strict=False))
    west, east = max(spans, key=lambda s: s[1] - s[0])
    return round(cy, 5), round((west + east) / 2, 5)


# --- texts --------------------------------------------------------------------------------


def short_name(name: str) -> str:
    """The name written on the map: the acronym in brackets, or the name without "CC du"."""
    if name.endswith(")") and "(" in name:
        return name[name.rindex("(") + 1 : -1]
    words = name.split(" ", 1)
    if len(words) == 2 and words[0] in {"CC", "CA", "CU"}:
        name = words[1]
        for article in ("du ", "de la ", "de l'", "des ", "de ", "d'"):
            if name.startswith(article):
                return name[len(article) :]
    return name


def _dates(row: TerritoryRow) -> str:
    parts = []
    if row.signed_on:
        parts.append(f"signée le {formats.day(row.signed_on)}")
    if row.starts_on or row.ends_on:
        parts.append(f"{formats.day(row.starts_on) or '…'} → {formats.day(row.ends_on) or '…'}")
    return " · ".join(parts) or "—"


def _done(row: TerritoryRow) -> str:
    ratio = row.done_ratio
    if ratio is None:
        return "—"
    return (
        f"{formats.percent(ratio)} ({row.actions_done} sur {row.actions - row.actions_abandoned})"
    )


def tooltip_texts(row: TerritoryRow) -> list[str]:
    """The tooltip's values, in the order of `TOOLTIP_LABELS`, as plain text.

    The browser writes them with `textContent`: they are never parsed as markup, so a name
    like `<img src=x onerror=…>` shows as typed.
    """
    name = row.name if row.kind is TerritoryKind.epci else f"{row.name} (commune)"
    return [
        name,
        f"{formats.number(row.population)} hab.",
        row.phase_label,
        _dates(row),
        row.officer_name or "—",
        _done(row),
        formats.number(row.actions_late) if row.convention_id else "—",
    ]


def script_json(value: Any) -> str:
    """JSON that is safe inside a `<script>` and inside HTML: `<`, `>`, `&`, `'` escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escaped)
    return text


# --- the map ------------------------------------------------------------------------------


class _Rendered(Element):
    """Markup or script already rendered: added to the page without being compiled again.

    branca wraps each element's rendered script in a new template, which means lexing the
    whole GeoJSON on every rerun; this element just prints its text.
    """

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self.text = text


class TerritoryLayer(folium.MacroElement):
    """Every territory in one Leaflet GeoJSON layer: style, hover highlight, tooltip, name.

    Tooltips and names are built as DOM text nodes from the feature properties; no user text
    is ever handed to `innerHTML`.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .ctg-label-icon { background: none; border: none; }
          .ctg-label {
            position: absolute; transform: translate(-50%, -50%);
            max-width: 9em; width: max-content; text-align: center;
            font: 600 11px/1.15 "Source Sans Pro", Arial, sans-serif; color: #1B1F24;
            background: rgba(255, 255, 255, 0.88); border-radius: 3px; padding: 1px 3px;
            pointer-events: none;
          }
          .leaflet-container { background: #FFFFFF; box-shadow: inset 0 0 0 1px #D5DAE1; }
          .ctg-tooltip { font: 12px/1.35 "Source Sans Pro", Arial, sans-serif; color: #1B1F24; }
          .ctg-tooltip table { border-collapse: collapse; }
          .ctg-tooltip th, .ctg-tooltip td { vertical-align: top; padding: 1px 0; }
          .ctg-tooltip th { text-align: left; padding-right: .8em; font-weight: 600; }
          .ctg-tooltip td { white-space: normal; min-width: 12em; max-width: 18em; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            var labels = {{ this.tooltip_labels_js }};
            function tooltip(layer) {
                var table = document.createElement("table");
                labels.forEach(function (label, index) {
                    var row = table.insertRow();
                    var head = document.createElement("th");
                    head.textContent = label;
                    row.appendChild(head);
                    row.insertCell().textContent = layer.feature.properties.tooltip[index];
                });
                return table;
            }
            {%- if this.context_js %}
            L.geoJSON({{ this.context_js }}, {
                interactive: false,
                style: {color: "#9AA3AE", weight: 1, fill: false}
            }).addTo(map);
            {%- endif %}
            var layer = L.geoJSON({{ this.features_js }}, {
                style: function (feature) { return feature.properties.style; },
                onEachFeature: function (feature, path) {
                    path.bindTooltip(tooltip, {sticky: true, opacity: 1, className: "ctg-tooltip"});
                    path.on("mouseover", function () { path.setStyle({{ this.highlight_js }}); });
                    path.on("mouseout", function () { layer.resetStyle(path); });
                }
            }).addTo(map);
            {{ this.names_js }}.forEach(function (name) {
                var text = document.createElement("span");
                text.className = "ctg-label";
                text.textContent = name[2];
                L.marker([name[0], name[1]], {
                    icon: L.divIcon({html: text, className: "ctg-label-icon", iconSize: null}),
                    interactive: false,
                    keyboard: false
                }).addTo(map);
            });
            // The frame gets its final width after the map is drawn: fit the département to it.
            var bounds = {{ this.bounds_js }};
            map.fitBounds(bounds);
            var resized = new ResizeObserver(function () {
                map.invalidateSize();
                map.fitBounds(bounds);
            });
            resized.observe(map.getContainer());
            map.on("unload", function () { resized.disconnect(); });  // a map drawn anew
            return layer;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        features_js: str,
        names: list[list[Any]],
        bounds: list[list[float]],
        context_js: str = "",
    ):
        super().__init__()
        self._name = "TerritoryLayer"
        self.features_js = features_js
        self.context_js = context_js
        self.names_js = script_json(names)
        self.bounds_js = script_json(bounds)
        self.tooltip_labels_js = script_json(TOOLTIP_LABELS)
        self.highlight_js = script_json({"weight": 4, "color": "#000000"})

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        module = self._template.module
        figure.header.add_child(_Rendered(module.header(self, kwargs)), name=self.get_name())
        figure.script.add_child(_Rendered(module.script(self, kwargs)), name=self.get_name())


def _feature_js(row: TerritoryRow, shape: Shape, opacity: float) -> str:
    commune = row.kind is TerritoryKind.commune
    properties = {
        "code": row.code,
        "convention": row.convention_id,
        "phase": row.phase_key,
        "style": {
            "fillColor": PHASE_COLOURS[row.phase_key],
            "fillOpacity": opacity,
            "color": "#1B1F24" if commune else "#FFFFFF",
            "weight": 2 if commune else 1.5,
            "opacity": 1,
        },
        "tooltip": tooltip_texts(row),
    }
    return (
        f'{{"type":"Feature","id":{script_json(row.code)},'
        f'"geometry":{shape.geometry_js},"properties":{script_json(properties)}}}'
    )


def base_map(shapes: Shapes, *, zoom_start: int, tiles: str = "none") -> folium.Map:
    """An empty map centred on `shapes`, with Leaflet served by the app (offline) and the
    chosen background tiles, if any."""
    (south, west), (north, east) = shapes.bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=zoom_start,
        tiles=None,
        zoom_snap=0.1,
        scroll_wheel_zoom=False,
    )
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    if tiles in TILES:
        folium.TileLayer(**TILES[tiles], max_zoom=18).add_to(m)
    return m


def overview_map(
    rows: Iterable[TerritoryRow], shapes: Shapes, *, tiles: str = "none"
) -> folium.Map:
    """The territories of `rows` (those with a shape), EPCI first and communes on top.

    The view is the département's extent, whatever the rows; names label the EPCI; EPCI
    not in `rows` are drawn as bare, inert outlines.
    """
    opacity = FILL_OPACITY.get(tiles, 1.0)
    drawn = [r for r in rows if r.code in shapes.by_code]
    drawn.sort(key=lambda r: (r.kind is TerritoryKind.commune, r.code))
    m = base_map(shapes, zoom_start=9, tiles=tiles)
    features = ",".join(_feature_js(r, shapes.by_code[r.code], opacity) for r in drawn)
    names = [
        [*shapes.by_code[r.code].label_at, short_name(r.name)]
        for r in drawn
        if r.kind is TerritoryKind.epci
    ]
    # EPCI left out by the filters stay as plain outlines, for the lie of the land.
    shown = {r.code for r in drawn}
    context = [
        f'{{"type":"Feature","geometry":{s.geometry_js},"properties":{{}}}}'
        for code, s in sorted(shapes.by_code.items())
        if s.kind is TerritoryKind.epci and code not in shown
    ]
    TerritoryLayer(
        f'{{"type":"FeatureCollection","features":[{features}]}}',
        names,
        [list(corner) for corner in shapes.bounds],
        f'{{"type":"FeatureCollection","features":[{",".join(context)}]}}' if context else "",
    ).add_to(m)
    _number_elements(m)
    return m


def _number_elements(m: folium.Map, prefix: str = "ctg") -> None:
    """Replace folium's random element ids by their rank: same input, same map. The
    national map has its own `prefix`: while Streamlit still shows it, the département's map
    that replaces it must not find its element id already taken."""

    def walk(element: Element) -> Iterator[Element]:
        yield element
        for child in element._children.values():
            yield from walk(child)

    for rank, element in enumerate(walk(m)):
        element._id = f"{prefix}{rank:04d}"


def legend_html(counts: Mapping[str, int]) -> str:
    """The legend beside the map: swatch, phase in words, number of territories.

    Built from our constants and integers only (no user text).
    """
    items = []
    for key in PHASE_KEYS:
        items.append(
            '<li style="display:flex;align-items:center;gap:.5em;margin:.15em 0">'
            f'<span aria-hidden="true" style="display:inline-block;width:1.1em;height:1.1em;'
            f'border-radius:2px;background:{PHASE_COLOURS[key]}"></span>'
            f"<span>{html.escape(phase_label(key))} : {int(counts.get(key, 0))}</span></li>"
        )
    return (
        '<ul aria-label="Légende de la carte" style="list-style:none;padding:0;margin:0">'
        + "".join(items)
        + "</ul>"
    )


# --- an indicator as a layer (choropleth) --------------------------------------------------
# Added beside the phase map, sharing its offline Leaflet, its escaped tooltips and its
# numbered ids: the overview's layer switch (`?couche=TXCOUV&annee=2024`) picks one.

# ColorBrewer YlGnBu in five classes (colour-blind safe): light is low, dark is high. The
# value is also written in the tooltip, the legend gives each class in words, and the
# Indicateurs page holds the same values as ranked bars and a table.
LAYER_COLOURS = ["#FFFFCC", "#A1DAB4", "#41B6C4", "#2C7FB8", "#253494"]
NO_VALUE_COLOUR = "#E8EBEF"


@dataclass(frozen=True)
class LayerValue:
    """A territory's value on the layer, with its text as the pages write it."""

    value: float
    text: str  # « 58,4 places pour 100 enfants »
    source: str = ""


@dataclass(frozen=True)
class IndicatorLayer:
    """The values of one catalogue indicator in one year, by territory code."""

    code: str
    title: str
    unit: str
    year: int
    values: Mapping[str, LayerValue]
    digits: int = 1


def layer_classes(values: Iterable[float], count: int = len(LAYER_COLOURS)) -> list[float]:
    """Upper bounds of up to `count` classes of roughly equal size (quantiles), increasing;
    the last is the maximum. Fewer classes when there are fewer distinct values."""
    ordered = sorted(set(values))
    if not ordered:
        return []
    count = min(count, len(ordered))
    return [
        ordered[min(len(ordered) - 1, round((i + 1) * len(ordered) / count) - 1)]
        for i in range(count)
    ]


def class_of(value: float, bounds: list[float]) -> int:
    return next((i for i, upper in enumerate(bounds) if value <= upper), len(bounds) - 1)


def _layer_colour(index: int, classes: int) -> str:
    """Spread `classes` over the palette so that two classes are still far apart."""
    if classes <= 1:
        return LAYER_COLOURS[2]
    return LAYER_COLOURS[round(index * (len(LAYER_COLOURS) - 1) / (classes - 1))]


def layer_tooltip_labels(layer: IndicatorLayer) -> list[str]:
    return ["Territoire", f"{layer.title} ({layer.year})", "Source"]


def _layer_feature_js(
    row: TerritoryRow, shape: Shape, layer: IndicatorLayer, bounds: list[float], opacity: float
) -> str:
    commune = row.kind is TerritoryKind.commune
    found = layer.values.get(row.code)
    fill = (
        _layer_colour(class_of(found.value, bounds), len(bounds))
        if found is not None
        else NO_VALUE_COLOUR
    )
    name = row.name if not commune else f"{row.name} (commune)"
    properties = {
        "code": row.code,
        "convention": row.convention_id,
        "value": found.value if found else None,
        "style": {
            "fillColor": fill,
            "fillOpacity": opacity,
            "color": "#1B1F24" if commune else "#5F6B7A",
            "weight": 2 if commune else 1,
            "opacity": 1,
        },
        "tooltip": [name, found.text if found else "pas de valeur", found.source if found else "—"],
    }
    return (
        f'{{"type":"Feature","id":{script_json(row.code)},'
        f'"geometry":{shape.geometry_js},"properties":{script_json(properties)}}}'
    )


def indicator_map(
    rows: Iterable[TerritoryRow], shapes: Shapes, layer: IndicatorLayer, *, tiles: str = "none"
) -> folium.Map:
    """The territories of `rows` coloured by their value of `layer` (a choropleth); a
    territory without a value is drawn pale grey and says « pas de valeur »."""
    opacity = FILL_OPACITY.get(tiles, 1.0)
    drawn = [r for r in rows if r.code in shapes.by_code]
    drawn.sort(key=lambda r: (r.kind is TerritoryKind.commune, r.code))
    bounds = layer_classes(v.value for v in layer.values.values())
    m = base_map(shapes, zoom_start=9, tiles=tiles)
    features = ",".join(
        _layer_feature_js(r, shapes.by_code[r.code], layer, bounds, opacity) for r in drawn
    )
    names = [
        [*shapes.by_code[r.code].label_at, short_name(r.name)]
        for r in drawn
        if r.kind is TerritoryKind.epci
    ]
    territories = TerritoryLayer(
        f'{{"type":"FeatureCollection","features":[{features}]}}',
        names,
        [list(corner) for corner in shapes.bounds],
    )
    territories.tooltip_labels_js = script_json(layer_tooltip_labels(layer))
    territories.add_to(m)
    _number_elements(m)
    return m


def indicator_legend_html(layer: IndicatorLayer, drawn_codes: Iterable[str]) -> str:
    """The legend of the indicator layer: its title and unit, each class « de … à … » with
    its swatch, and how many territories have no value. Every text is escaped."""
    bounds = layer_classes(v.value for v in layer.values.values())
    values = sorted(v.value for v in layer.values.values())
    missing = sum(1 for code in drawn_codes if code not in layer.values)

    items = []
    lower = values[0] if values else 0.0
    for index, upper in enumerate(bounds):
        low_text = formats.number(lower, layer.digits)
        high_text = formats.number(upper, layer.digits)
        text = f"{low_text} à {high_text}" if low_text != high_text else high_text
        items.append(_legend_item(_layer_colour(index, len(bounds)), text))
        above = [v for v in values if v > upper]
        lower = above[0] if above else upper
    items.append(_legend_item(NO_VALUE_COLOUR, f"pas de valeur : {missing}"))
    unit = f" ({layer.unit})" if layer.unit else ""
    return (
        f'<p style="margin:0 0 .3em 0;font-weight:600">{html.escape(layer.title)}'
        f"{html.escape(unit)} — {int(layer.year)}</p>"
        '<ul aria-label="Légende de la carte" style="list-style:none;padding:0;margin:0">'
        + "".join(items)
        + "</ul>"
    )


# --- the national map: one polygon per département ------------------------------------------
# Coloured by the number of conventions (classes as for an indicator), every count written in
# its tooltip and in the table; a click (or the page's list) opens the département's map.

FRANCE_TOOLTIP_LABELS = [
    "Département",
    "Conventions",
    "Signées",
    "En cours d'élaboration",
    "Échues",
    "Territoires sans CTG",
    "Actions en retard",
]


def france_shapes(layer: Mapping[str, Any]) -> Shapes:
    """Index the national layer's départements by code; the view covers every one of them
    (the overseas ones are insets off the Atlantic coast)."""
    by_code: dict[str, Shape] = {}
    for feature in layer["features"]:
        geometry = feature["geometry"]
        code = str(feature["properties"]["code"])
        by_code[code] = Shape(code, None, geometry, label_point(geometry), script_json(geometry))
    points = [pt for f in layer["features"] for pt in _points(f["geometry"])]
    lngs = [p[0] for p in points]
    lats = [p[1] for p in points]
    return Shapes(by_code, ((min(lats), min(lngs)), (max(lats), max(lngs))))


def france_tooltip_texts(row: DepartementRow) -> list[str]:
    """The tooltip's values, in the order of `FRANCE_TOOLTIP_LABELS`, as plain text."""
    return [
        f"{row.name} ({row.code})",
        formats.number(row.conventions),
        formats.number(row.signed),
        formats.number(row.drafting),
        formats.number(row.ended),
        formats.number(row.without_ctg),
        formats.number(row.actions_late),
    ]


def _france_fill(row: DepartementRow, bounds: list[float]) -> str:
    if not row.conventions:
        return NO_VALUE_COLOUR
    return _layer_colour(class_of(row.conventions, bounds), len(bounds))


def france_map(rows: Iterable[DepartementRow], shapes: Shapes) -> folium.Map:
    """The départements of `rows` coloured by their number of conventions; the other
    départements are inert outlines. A feature's `code` is the département's code."""
    drawn = sorted((r for r in rows if r.code in shapes.by_code), key=lambda r: r.code)
    bounds = layer_classes(r.conventions for r in drawn if r.conventions)
    m = base_map(shapes, zoom_start=5)
    features = []
    for row in drawn:
        properties = {
            "code": row.code,
            "style": {
                "fillColor": _france_fill(row, bounds),
                "fillOpacity": 1,
                "color": "#5F6B7A",
                "weight": 1,
                "opacity": 1,
            },
            "tooltip": france_tooltip_texts(row),
        }
        features.append(
            f'{{"type":"Feature","id":{script_json(row.code)},'
            f'"geometry":{shapes.by_code[row.code].geometry_js},'
            f'"properties":{script_json(properties)}}}'
        )
    shown = {r.code for r in drawn}
    context = [
        f'{{"type":"Feature","geometry":{s.geometry_js},"properties":{{}}}}'
        for code, s in sorted(shapes.by_code.items())
        if code not in shown
    ]
    layer = TerritoryLayer(
        f'{{"type":"FeatureCollection","features":[{",".join(features)}]}}',
        [],
        [list(corner) for corner in shapes.bounds],
        f'{{"type":"FeatureCollection","features":[{",".join(context)}]}}' if context else "",
    )
    layer.tooltip_labels_js = script_json(FRANCE_TOOLTIP_LABELS)
    layer.add_to(m)
    _number_elements(m, "fra")
    return m


def france_legend_html(rows: Iterable[DepartementRow]) -> str:
    """The national map's legend: each class of conventions per département « de … à … »
    with its swatch, and how many départements shown have none. Built from integers."""
    counts = [r.conventions for r in rows]
    bounds = layer_classes(c for c in counts if c)
    items = []
    lower = min((c for c in counts if c), default=0)
    for index, upper in enumerate(bounds):
        text = f"{lower} à {upper}" if lower != upper else f"{upper}"
        items.append(_legend_item(_layer_colour(index, len(bounds)), text))
        above = [c for c in counts if c > upper]
        lower = min(above) if above else upper
    items.append(_legend_item(NO_VALUE_COLOUR, f"aucune : {sum(1 for c in counts if not c)}"))
    return (
        '<p style="margin:0 0 .3em 0;font-weight:600">Conventions par département</p>'
        '<ul aria-label="Légende de la carte" style="list-style:none;padding:0;margin:0">'
        + "".join(items)
        + "</ul>"
    )


def _legend_item(colour: str, text: str) -> str:
    return (
        '<li style="display:flex;align-items:center;gap:.5em;margin:.15em 0">'
        f'<span aria-hidden="true" style="display:inline-block;width:1.1em;height:1.1em;'
        f'border-radius:2px;border:1px solid #9AA3AE;background:{colour}"></span>'
        f"<span>{html.escape(text)}</span></li>"
    )
