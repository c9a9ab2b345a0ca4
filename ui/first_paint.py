"""A browser's first page drawn in two passes: the map first, the rest once it is drawn.

On a browser's first visit, Streamlit loads the code of each kind of element when it first
meets one (a list box alone is about twenty files, fetched six at a time): the map's code
waited behind that of the page's lists, figures and links, and the overview's polygons
appeared about 2× a bare page's first paint. So the first run of a browser session on a page
that shows a map first (the overview) is a light pass: the title, the tabs and the map, with
places kept for the rest; the map reports when it is drawn (`ui.leaflet_map`) and the run
that follows draws the whole page around it, the map staying as it is. If the page turns
out not to draw its map (table tab, no territory, no map layer), it ends the light pass at
once.

Only a browser's Streamlit front end tells the server its locale: other clients (AppTest,
the load test's protocol-level sessions) run no JavaScript, so they get every page in one
pass. Later pages of a session find the code loaded: one pass too.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

STATE_KEY = "first_paint"
LIGHT, DRAWN, DONE = "light", "drawn", "done"
MAP_FIRST_PAGES = frozenset({"vue_ensemble"})
CAPTION_PX = 37  # a one-line caption and the gap below it


def light_pass(page_id: str | None) -> bool:
    """Whether this run is the light pass (app.py asks before drawing the sidebar): decided on
    the session's first run; a session that leaves the page before its map is drawn (a menu
    link clicked meanwhile, a refusal) has no light pass any more."""
    state = st.session_state.get(STATE_KEY)
    if state is None:
        browser = st.context.locale is not None
        state = LIGHT if browser and page_id in MAP_FIRST_PAGES else DONE
    elif page_id not in MAP_FIRST_PAGES:
        state = DONE
    st.session_state[STATE_KEY] = state
    return state == LIGHT


def is_light() -> bool:
    """For the page: is this run the light pass?"""
    return st.session_state.get(STATE_KEY) == LIGHT


def on_drawn() -> Callable[[], None] | None:
    """The map's `on_drawn` in the light pass, None after it (a map drawn again, for other
    filters, reports nothing: no run for nothing)."""
    return map_drawn if is_light() else None


def map_drawn() -> None:
    """The map's `on_drawn` callback: the next run draws the whole page."""
    if st.session_state.get(STATE_KEY) == LIGHT:
        st.session_state[STATE_KEY] = DRAWN


def rerun_if_drawn() -> None:
    """At the top of the map's fragment: the map has been drawn, so run the whole page (a
    fragment's run would draw only the map)."""
    if st.session_state.get(STATE_KEY) == DRAWN:
        st.session_state[STATE_KEY] = DONE
        st.rerun(scope="app")


def end_light_pass() -> None:
    """The page will not draw a map in this run: draw it whole now."""
    if st.session_state.get(STATE_KEY) in (LIGHT, DRAWN):
        st.session_state[STATE_KEY] = DONE
        st.rerun(scope="app")


def keep_place(height_px: int, text: str = "") -> None:
    """In the light pass, the place of what the next run draws there (about its height at a
    desktop width), so that the map does not jump down when it comes; `text` says what is
    coming. A caption and a space: elements whose code comes with the title's."""
    if text:
        st.caption(text)
        height_px -= CAPTION_PX
    st.space(max(height_px, 0))
