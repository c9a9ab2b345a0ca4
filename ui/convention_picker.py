"""Choosing a convention: the light references every picker reads (one cached query per
user), the selector shared by pages opened with `?convention=<id>`, and the Convention
page's search by territory, title or member commune."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from ctg_core.common import config, db
from ctg_core.common.auth import CurrentUser
from ctg_core.common.history import shorten
from ctg_core.plan import queries as plan_queries
from ctg_core.plan.queries import ConventionRef
from ui import plan_view
from ui.plain_text import md
from ui.url import parse_id, requested_id

_CONTROL = re.compile("[\x00-\x1f\x7f]")
SEARCH = "convention_search"
PICKER = "convention_picker"


def readable_refs(user: CurrentUser) -> list[ConventionRef]:
    """The conventions the user may read (id, title, territory, phase), by territory name."""
    return _refs("readable", user)


def editable_refs(user: CurrentUser) -> list[ConventionRef]:
    """The conventions whose plan the user may edit, by territory name."""
    return _refs("editable", user)


def forget_refs() -> None:
    """Drop every cached list (after a write to conventions in this process; other
    processes see the write through the data version)."""
    _cached_refs.clear()


def _refs(kind: str, user: CurrentUser) -> list[ConventionRef]:
    with db.session() as session:
        version = plan_queries.conventions_version(session)
    scope = (user.id, user.role.value, tuple(sorted(user.territory_ids)))
    return _cached_refs(kind, scope, config.database_url(), version, user)


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_refs(
    kind: str, scope: tuple, database_url: str, version: str, _user: CurrentUser
) -> list[ConventionRef]:
    """One query per user (`scope`), kind, database and data `version`: a write to any
    convention changes the version, so the next run reads the list again. (`_user` is not
    part of the key: `scope` stands for it.)"""
    with db.session() as session:
        if kind == "editable":
            return plan_queries.editable_conventions(session, _user)
        return plan_queries.conventions(session, _user)


def pick_convention(
    refs: Sequence[ConventionRef],
    label_of: Callable[[ConventionRef], str],
    *,
    fallback: int,
    where: Any = st,
) -> int:
    """A selectbox starting on the convention of the URL (else `fallback`); the choice is
    written back to the URL so that the address can be shared."""
    # A selectbox keeps its `format_func` with the session: a dict of labels, not a closure
    # over every reference.
    labels = {r.id: label_of(r) for r in refs}
    wanted = requested_id("convention")
    start = wanted if wanted in labels else fallback
    chosen = where.selectbox(
        "Convention",
        list(labels),
        index=list(labels).index(start),
        format_func=labels.__getitem__,
        placeholder="Choisissez…",
    )
    st.query_params["convention"] = str(chosen)
    return chosen


def requested_convention(default: int | None) -> tuple[int | None, str]:
    """The id asked for in the URL (or the first readable one), or a French complaint."""
    raw = st.query_params.get("convention", "").strip()
    if not raw:
        if default is not None:
            st.query_params["convention"] = str(default)
        return default, ""
    ident = parse_id(raw)
    if ident is None:
        shown = md(shorten(_CONTROL.sub("", raw), 40))
        return None, f"« {shown} » n'est pas un numéro de convention valide."
    return ident, ""


def ref_label(ref: ConventionRef) -> str:
    place = "" if ref.territory_name in ref.title else f" — {ref.territory_name}"
    return f"{ref.title}{place} · {ref.phase.label}"


def open_picked() -> None:
    picked = st.session_state.get(PICKER)
    if picked is None:
        return
    st.query_params["convention"] = str(picked)
    st.query_params.pop("action", None)
    st.session_state.pop(plan_view.FICHE, None)
    plan_view.clear_filters()


def convention_selector(
    user: CurrentUser, current: int | None, readable: list[ConventionRef]
) -> None:
    """Search by territory, title or member commune (« Rezé » finds Nantes Métropole)."""
    search_col, pick_col = st.columns([2, 3])
    with search_col:
        text = st.text_input(
            "Rechercher un territoire ou une commune",
            key=SEARCH,
            placeholder="p. ex. Rezé, Pornic, Nozay…",
            help="Une commune membre d'un EPCI mène à la CTG de cet EPCI.",
        )
    refs = readable
    if text.strip():
        with db.session() as session:
            refs = plan_queries.search_conventions(session, user, text)
    labels = {r.id: ref_label(r) for r in refs}
    st.session_state[PICKER] = current if current in labels else None
    with pick_col:
        st.selectbox(
            "Convention",
            list(labels),
            index=None,
            format_func=labels.__getitem__,
            key=PICKER,
            on_change=open_picked,
            placeholder=f"Choisissez parmi {len(refs)} convention(s)",
        )
        if text.strip():
            found = f"{len(refs)} convention(s) trouvée(s)" if refs else "Aucune convention"
            st.caption(f"{found} pour « {md(text.strip())} ».")
