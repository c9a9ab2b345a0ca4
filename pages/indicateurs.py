"""Indicateurs — a convention's indicators against their baseline and target, with their
status; territories compared on a catalogue indicator; the catalogue; the Caf open data.
Deep link: ?convention=<id>."""

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ctg_core.common import config, db
from ctg_core.common.errors import CtgError
from ctg_core.indicators import charts as indicator_charts
from ctg_core.indicators import queries as indicator_queries
from ctg_core.indicators.queries import IndicatorSeries
from ctg_core.plan import queries as plan_queries
from ui import exchange_view, indicator_forms, indicator_view
from ui.auth import current_user
from ui.chart_specs import spec_of
from ui.convention_picker import pick_convention, readable_refs
from ui.feedback import show_error
from ui.form_feedback import show_flash
from ui.plain_text import md

user = current_user()
this_year = config.today().year
departement = config.departement()
show_flash()
st.title("Indicateurs")

refs = readable_refs(user)
if not refs:
    st.info("Aucune convention n'est visible avec votre profil.", icon=":material/info:")
    st.stop()

convention_id = pick_convention(
    refs, lambda r: f"{r.territory_name} — {r.phase.label}", fallback=refs[0].id
)

with db.session() as session:
    series = indicator_queries.convention_indicators(session, user, convention_id)
    header = plan_queries.convention_header(session, user, convention_id)
    catalogue = indicator_queries.catalogue(session)
    comparable = indicator_queries.comparable_codes(session, departement)
    plan = plan_queries.actions_frame(session, user, convention_id, config.today())
    links = indicator_forms.Links(
        plan_queries.axes(session),
        {int(a.id): f"{a.code} — {a.title}" for a in plan.itertuples()},
    )

tab_names = ["Suivi de la convention", "Comparer les territoires", "Catalogue"]
if user.is_admin:
    tab_names.append("Import open data")
# Only the open tab, and the open expanders, run: a closed one costs nothing until opened.
tabs = st.tabs(tab_names, key="indicator_tab", on_change="rerun")


def lazy_expander(
    label: str, key: str, icon: str | None = None, *, expanded: bool = False
) -> DeltaGenerator | None:
    """An expander whose content is drawn only while it is open (None when closed)."""
    box = st.expander(label, expanded, key=key, icon=icon, on_change="rerun")
    return box if box.open else None


def indicator_card(item: IndicatorSeries) -> None:
    """One indicator: its trend, facts and values; its history and forms when opened."""
    left, right = st.columns([3, 2])
    with left:
        indicator_view.trend(item)
    with right:
        indicator_view.facts(item)
        indicator_view.values_table(item)
    if box := lazy_expander("Historique des valeurs", f"indicator-history-{item.id}"):
        with box:
            try:
                with db.session() as session:
                    changes = indicator_queries.value_history(session, user, item.id)
            except CtgError as error:
                show_error(error)
            else:
                indicator_view.value_history(changes)
    if not header.can_edit_plan:
        return
    if box := lazy_expander("Saisir ou corriger une valeur", f"indicator-values-{item.id}"):
        with box:
            indicator_forms.add_value_form(item, user, this_year)
            indicator_forms.correct_value_form(item, user)
    if box := lazy_expander("Modifier ou archiver l'indicateur", f"indicator-edit-{item.id}"):
        with box:
            indicator_forms.edit_indicator_form(item, user, links)
            indicator_forms.archive_indicator_button(item, user)


# --- the convention's indicators ---------------------------------------------------------------

if tabs[0].open:
    with tabs[0]:
        if header.can_edit_plan:
            if box := lazy_expander(
                "Ajouter un indicateur", f"indicator-new-{convention_id}", ":material/add_circle:"
            ):
                with box:
                    indicator_forms.new_indicator_form(
                        convention_id,
                        user,
                        catalogue,
                        {s.catalogue_id for s in series if s.catalogue_id},
                        links,
                    )
            if series and (
                box := lazy_expander(
                    "Saisir une année pour tous les indicateurs",
                    f"indicator-year-{convention_id}",
                    ":material/edit_calendar:",
                )
            ):
                with box:
                    indicator_forms.year_form(convention_id, series, user, this_year)
        if not series:
            st.info("Cette convention n'a pas encore d'indicateur.", icon=":material/info:")
        else:
            exchange_view.indicator_downloads(convention_id, header.territory_name, user)
            if header.can_edit_plan:
                exchange_view.indicator_import(convention_id, user)
            indicator_view.status_table(series)
            indicator_view.status_rule_caption()
            st.vega_lite_chart(
                spec=spec_of(
                    indicator_charts.small_multiples,
                    series,
                    key=tuple(s.chart_key for s in series),
                ),
                width="content",
            )
            st.header("Détail par indicateur")
            st.caption("Ouvrez un indicateur pour sa tendance, ses valeurs et leur saisie.")
            for rank, item in enumerate(series):
                card = lazy_expander(
                    f"{md(item.name)} · {item.status.text}",
                    f"indicator-card-{item.id}",
                    expanded=rank == 0,
                )
                if card:
                    with card:
                        indicator_card(item)

# --- territories compared ----------------------------------------------------------------------

if tabs[1].open:
    with tabs[1]:
        if not comparable:
            st.info(
                "Aucun indicateur du catalogue n'a encore de valeur dans le département.",
                icon=":material/info:",
            )
        else:
            by_code = {e.code: e for e in comparable}
            followed = [s.catalogue_code for s in series if s.catalogue_code in by_code]
            choice_col, year_col = st.columns([3, 1])
            code = choice_col.selectbox(
                "Indicateur du catalogue",
                list(by_code),
                index=list(by_code).index(followed[0]) if followed else 0,
                format_func=lambda c: by_code[c].name,
                key="compare-code",
            )
            with db.session() as session:
                years = indicator_queries.comparable_years(session, code, departement)
            year = year_col.selectbox("Année", years, key=f"compare-year-{code}")
            mine = user.territory_ids or {header.territory_id}
            with db.session() as session:
                result = indicator_queries.compare_territories(
                    session, code, year, departement, highlight=mine
                )
            indicator_view.comparison(result)
            st.page_link(
                "pages/vue_ensemble.py",
                label="Voir ces valeurs sur la carte",
                icon=":material/map:",
                query_params={"couche": code, "annee": str(year)},
            )

# --- the catalogue and the open data (admin) -----------------------------------------------------

if tabs[2].open:
    with tabs[2]:
        st.caption(
            "Indicateurs communs aux CTG : même définition et même unité partout, ils se comparent "
            "d'un territoire à l'autre."
        )
        indicator_view.catalogue_table(catalogue)
        if user.is_admin:
            with st.expander("Ajouter au catalogue", icon=":material/add_circle:"):
                indicator_forms.new_catalogue_entry_form(user)
            with st.expander("Modifier une entrée du catalogue", icon=":material/edit:"):
                by_id = {e.id: e for e in catalogue}
                if by_id:
                    picked = st.selectbox(
                        "Entrée",
                        list(by_id),
                        format_func=lambda i: f"{by_id[i].code} — {by_id[i].name}",
                        key="catalogue-edit-pick",
                    )
                    indicator_forms.edit_catalogue_entry_form(by_id[picked], user)

if user.is_admin and tabs[3].open:
    with tabs[3]:
        st.caption(
            "Fichiers open data de la Caf par EPCI (ou par département) : taux de couverture, "
            "places en EAJE, allocataires. Un fichier illisible ou sans territoire connu "
            "n'importe rien."
        )
        indicator_forms.open_data_form(user, catalogue)
