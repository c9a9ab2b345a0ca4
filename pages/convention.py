"""Convention — the page a committee opens for one territory, and where the Caf advisor and
the chargé de coopération keep the plan d'actions up to date. Deep link: ?convention=<id>
(and &action=<id> to open a fiche)."""

from __future__ import annotations

import streamlit as st

from ctg_core.common import config, db
from ctg_core.common.errors import CtgError
from ctg_core.indicators import queries as indicator_queries
from ctg_core.plan import filters as plan_filters
from ctg_core.plan import queries as plan_queries
from ctg_core.plan.queries import ConventionHeader
from ui import action_form, convention_form, exchange_view, indicator_view, plan_view
from ui.auth import current_user
from ui.axis_status_view import show_axis_status
from ui.convention_header import (
    advisor_choices,
    show_convention_admin,
    show_header,
    territory_choices,
)
from ui.convention_picker import convention_selector, readable_refs, requested_convention
from ui.feedback import show_error
from ui.form_feedback import form_state, show_flash
from ui.plain_text import md

user = current_user()
today = config.today()
show_flash()

# --- which convention ----------------------------------------------------------------------

readable = readable_refs(user)
with db.session() as session:
    home = plan_queries.home_convention(session, user, readable)
current, complaint = requested_convention(home)

header: ConventionHeader | None = None
if current is not None:
    try:
        with db.session() as session:
            header = plan_queries.convention_header(session, user, current)
            active = plan_queries.actions_frame(session, user, current, today)
            frame = (
                plan_queries.actions_frame(session, user, current, today, include_archived=True)
                if st.session_state.get(plan_view.ARCHIVED, False)
                else active
            )
            axes = plan_queries.axes(session)
            indicators = indicator_queries.convention_indicators(session, user, current)
    except CtgError as error:
        complaint = f"{md(error.message)}"

if header is None:
    st.title("Convention")
convention_selector(user, current, readable)
if user.can_manage_convention():
    creating = form_state("new-convention")
    new_box = st.expander(
        "Créer une convention",
        expanded=bool(creating.errors or creating.problem),
        icon=":material/add_circle:",
        key="new-convention-box",
        on_change="rerun",
    )
    if new_box.open:  # the form and its lists only while open
        with new_box:
            convention_form.new_convention_form(
                territory_choices(config.database_url()),
                advisor_choices(config.database_url()),
                user,
            )

if complaint:
    st.warning(
        complaint + " Choisissez une convention dans la liste ci-dessus.",
        icon=":material/search_off:",
    )
    st.stop()
if header is None:
    if readable:
        st.info(
            "Aucune convention ne vous est confiée pour l'instant : choisissez-en une dans la "
            "liste ci-dessus.",
            icon=":material/info:",
        )
    else:
        st.info("Aucune convention n'est visible avec votre profil.", icon=":material/info:")
    st.stop()

# --- the convention and its progress by axis -------------------------------------------------

archived_ids = set(frame["id"]) - set(active["id"])
show_header(header)
show_convention_admin(header, user)
exchange_view.history_downloads(header, user)
st.divider()
show_axis_status(active, sorted(st.session_state.get(plan_view.AXES) or []))
st.divider()
indicator_view.convention_glance(indicators, header.id)
st.divider()

# --- the plan d'actions ----------------------------------------------------------------------

st.header("Plan d'actions")
if header.can_edit_plan:
    creating_action = form_state(f"new-action-{header.id}")
    with st.expander(
        "Nouvelle fiche action",
        icon=":material/add_circle:",
        expanded=bool(creating_action.errors or creating_action.problem),
    ):
        axis_filter = st.session_state.get(plan_view.AXES) or []
        action_form.new_action_form(
            header.id, axes, user, axis_filter[0] if len(axis_filter) == 1 else None
        )
    exchange_view.plan_import(header.id, header.territory_name, axes, user)
if frame.empty:
    st.info("Aucune fiche action pour cette convention.", icon=":material/info:")
    st.stop()

filters = plan_view.filter_widgets(frame)
filtered = plan_filters.filter_actions(frame, filters)
st.caption(f"{len(filtered)} fiche(s) affichée(s) sur {len(frame)}.")
exchange_view.plan_downloads(header, filtered)
# Only the open tab runs: the calendar is drawn when chosen.
table_tab, timeline_tab = st.tabs(["Tableau", "Calendrier"], key="plan_tab", on_change="rerun")
if table_tab.open:
    with table_tab:
        plan_view.show_plan_table(filtered, archived_ids)
        fiche_id = plan_view.fiche_selector(frame)
        if fiche_id is not None:
            try:
                with db.session() as session:
                    detail = plan_queries.action_detail(session, user, fiche_id, today)
            except CtgError as error:
                show_error(error)
            else:
                plan_view.show_fiche(detail, header, axes, user)
if timeline_tab.open:
    with timeline_tab:
        plan_view.show_timeline(filtered[~filtered["id"].isin(archived_ids)], today)
