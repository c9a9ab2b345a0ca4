"""Sidebar filters of the overview, kept in the URL so that a shared link reopens the view.

The URL is the source of truth: when it changes under the page (a shared link, the back
button, another page's link), the widgets are reset from it; when a widget changes, the URL
follows. `OverviewFilters` (ctg_core.overview) does the parsing and the spelling.

The filters are read first (`current_filters`) and drawn last (`sidebar_filters`): the
page sends its map to the browser before the sidebar's widgets.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ctg_core.overview.queries import (
    DEADLINE_LABELS,
    PHASE_KEYS,
    OverviewFilters,
    TerritoryChoice,
    phase_label,
)
from ctg_core.plan.queries import AxisRef

KEYS = {
    "phases": "ov_filter_phase",
    "axes": "ov_filter_axe",
    "territories": "ov_filter_territoire",
    "deadline": "ov_filter_echeance",
}
SYNCED_KEY = "ov_filters_synced"


def _from_url() -> OverviewFilters:
    params = {key: st.query_params.get_all(key) for key in OverviewFilters.QUERY_KEYS}
    return OverviewFilters.from_query_params(params)


def _from_widgets() -> OverviewFilters:
    state = st.session_state
    return OverviewFilters(
        phases=tuple(state[KEYS["phases"]]),
        axes=tuple(state[KEYS["axes"]]),
        territories=tuple(state[KEYS["territories"]]),
        deadline=state[KEYS["deadline"]],
    )


def _load_widgets(filters: OverviewFilters, axes: list[str], codes: set[str]) -> None:
    state = st.session_state
    state[KEYS["phases"]] = list(filters.phases)
    state[KEYS["axes"]] = [a for a in filters.axes if a in axes]
    state[KEYS["territories"]] = [c for c in filters.territories if c in codes]
    state[KEYS["deadline"]] = filters.deadline


def _write_url(filters: OverviewFilters) -> None:
    wanted = filters.to_query_params()
    for key in OverviewFilters.QUERY_KEYS:
        if key in wanted and st.query_params.get(key) != wanted[key]:
            st.query_params[key] = wanted[key]
        elif key not in wanted and key in st.query_params:
            del st.query_params[key]


def _reset() -> None:
    for key in KEYS.values():
        st.session_state[key] = "" if key == KEYS["deadline"] else []


def current_filters(axes: list[AxisRef], choices: Sequence[TerritoryChoice]) -> OverviewFilters:
    """The filters of this run: the URL's when it changed under the page, else the widgets'.

    Called before the widgets are drawn, so that the map can be sent to the browser first.
    """
    url_filters = _from_url()
    if st.session_state.get(SYNCED_KEY) != url_filters or any(
        key not in st.session_state for key in KEYS.values()
    ):
        _load_widgets(url_filters, [a.code for a in axes], {c.code for c in choices})
    return _from_widgets()


def sidebar_filters(
    axes: list[AxisRef], choices: Sequence[TerritoryChoice], filters: OverviewFilters
) -> None:
    """Draw the filters in the sidebar and put `filters` in the URL."""
    axis_labels = {a.code: a.label for a in axes}
    territory_labels = {c.code: c.label for c in choices}
    with st.sidebar:
        st.header("Filtres", anchor=False)
        st.multiselect(
            "Phase de la CTG",
            options=list(PHASE_KEYS),
            format_func=phase_label,
            key=KEYS["phases"],
            placeholder="Toutes les phases",
            select_all=False,
        )
        st.multiselect(
            "Thématique des actions",
            options=list(axis_labels),
            format_func=lambda code: axis_labels[code],
            key=KEYS["axes"],
            placeholder="Toutes les thématiques",
            select_all=False,
            help="Ne garde que les territoires ayant des actions de ces thématiques ; "
            "les chiffres d'actions ne portent alors que sur elles.",
        )
        st.multiselect(
            "EPCI ou commune",
            options=list(territory_labels),
            format_func=lambda code: territory_labels[code],
            key=KEYS["territories"],
            placeholder="Tous les territoires",
            select_all=False,
            help="Une commune sans CTG propre mène à la CTG de son EPCI.",
        )
        st.selectbox(
            "Échéance de la convention",
            options=list(DEADLINE_LABELS),
            format_func=lambda key: DEADLINE_LABELS[key],
            key=KEYS["deadline"],
            placeholder="Choisissez…",
        )
        st.button(
            "Réinitialiser les filtres",
            on_click=_reset,
            disabled=filters.is_empty,
            icon=":material/filter_alt_off:",
        )
    _write_url(filters)
    st.session_state[SYNCED_KEY] = filters
