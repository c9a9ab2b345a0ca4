"""Charts drawn from a cached Vega-Lite specification.

Building an Altair chart and turning it into Vega-Lite costs tens of milliseconds of CPU
(schema checks, deep copies) on every run, for the same picture as long as its data is the
same: `spec_of` builds it once per distinct input and keeps the specification, its data
already in Arrow, which `st.vega_lite_chart` draws (with the same selections as
`st.altair_chart`).

Every specification also gets readable texts: Streamlit's chart theme writes axis and legend
labels in #808495 (3.7:1 on white, under the 4.5:1 of WCAG AA); `readable` sets them in the
grey of the app's reference lines (5.4:1), unless the chart chose its own colour.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st
from streamlit import dataframe_util

CHART_TEXT = "#5F6B7A"  # 5.4:1 on white
_READABLE_CONFIG: dict[str, dict[str, str]] = {
    "axis": {"labelColor": CHART_TEXT, "titleColor": CHART_TEXT},
    "legend": {"labelColor": CHART_TEXT, "titleColor": CHART_TEXT},
    "header": {"labelColor": CHART_TEXT, "titleColor": CHART_TEXT},
}


def spec_of(
    build: Callable[..., Any], *args: Any, key: Hashable = None, **kwargs: Any
) -> dict[str, Any]:
    """The Vega-Lite specification of `build(*args, **kwargs)` (an Altair chart), cached by
    the name of `build` and the value of its arguments (data frames by content) — or, when
    given, by `key`: a small value that stands for everything the chart draws, cheaper to
    hash than the arguments (an indicator's `chart_key`)."""
    name = f"{build.__module__}.{build.__qualname__}"
    if key is not None:
        return _keyed_spec(name, key, build, args, kwargs)
    return _spec(name, build, args, kwargs)


@st.cache_data(max_entries=256, show_spinner=False)
def _keyed_spec(
    name: str,
    key: Hashable,
    _build: Callable[..., Any],
    _args: tuple[Any, ...],
    _kwargs: dict[str, Any],
) -> dict[str, Any]:
    return _spec_now(_build, _args, _kwargs)


@st.cache_data(max_entries=256, show_spinner=False)
def _spec(
    name: str, _build: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    return _spec_now(_build, args, kwargs)


def _spec_now(
    build: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    spec = readable(build(*args, **kwargs).to_dict())
    # Each table of rows in Arrow once, here: `st.vega_lite_chart` sends bytes as they are,
    # where it would convert the rows again on every run (GeoJSON stays as it is).
    for name_, rows in spec.get("datasets", {}).items():
        if isinstance(rows, list) and all(isinstance(row, dict) for row in rows):
            spec["datasets"][name_] = dataframe_util.convert_anything_to_arrow_bytes(rows)
    return spec


def readable(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with its axis, legend and facet texts in `CHART_TEXT` where it set none."""
    config = dict(spec.get("config") or {})
    for part, colours in _READABLE_CONFIG.items():
        config[part] = {**colours, **(config.get(part) or {})}
    return {**spec, "config": config}
