"""A folium map drawn in the page itself (an `st.components.v2` component), not in a frame.

streamlit-folium draws a map in a frame of its own: the browser creates the frame, loads the
component's bundle, shakes hands with the page, then loads Leaflet and draws; on the overview
that chain, queued behind the code of the page's other elements, made the polygons appear
about 2× a bare page's first paint. Here the map's markup and script (folium's, with every
user text already escaped: `ctg_core.overview.map`) are added to the page and run once
Leaflet, served by the app, is loaded — the script starts loading it as soon as the
component's code runs.

A click on a territory sends its `code` (one-shot, like a button); the map also says once
that it is drawn (`drawn`), which lets a page draw its other parts after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import folium
import streamlit as st
from branca.element import CssLink, JavascriptLink

from ctg_core.overview.map import LEAFLET_CSS, LEAFLET_JS

_JS = (
    (Path(__file__).with_suffix(".js"))
    .read_text(encoding="utf-8")
    .replace("LEAFLET_CSS", LEAFLET_CSS)
    .replace("LEAFLET_JS", LEAFLET_JS)
)

# What folium's page template puts around a map, made for a document of its own: its viewport
# tag (which would forbid zooming ours), its styles of the whole page and its script tags
# (which `innerHTML` would not run anyway).
_PAGE_PARTS = re.compile(
    r"<meta\b[^>]*>|<style>\s*(?:html, body|#map)\s*\{[^}]*\}\s*</style>|<script>.*?</script>",
    re.DOTALL,
)

_component = st.components.v2.component(
    "ctg_leaflet_map",
    html='<div class="ctg-map" role="region" aria-label="Carte"></div>',
    css=".ctg-map { width: 100%; position: relative; }",
    js=_JS,
    isolate_styles=False,  # Leaflet's stylesheet must reach the map
)


def map_parts(m: folium.Map) -> dict[str, str]:
    """folium's markup (the map's styles and `div`) and script, without the Leaflet links
    (the component loads Leaflet once for the whole page) nor `_PAGE_PARTS`."""
    root = m.get_root()
    root.render()
    styles = "".join(
        child.render()
        for child in root.header._children.values()
        if not isinstance(child, JavascriptLink | CssLink)
    )
    return {
        "markup": _PAGE_PARTS.sub("", styles) + root.html.render(),
        "script": root.script.render(),
        "name": m.get_name(),
    }


def leaflet_map(
    m: folium.Map,
    *,
    key: str,
    height: int = 520,
    on_click: Callable[[], None] | None = None,
    on_drawn: Callable[[], None] | None = None,
) -> Any:
    """Draw `m`. In `on_click`, `st.session_state[key].clicked` is the code of the territory
    clicked; `on_drawn`, when given, is called once the map is drawn (or has failed to)."""
    return _component(
        key=key,
        data={**map_parts(m), "height": height, "report": on_drawn is not None},
        height=height,
        on_clicked_change=on_click or (lambda: None),
        on_drawn_change=on_drawn or (lambda: None),
    )
