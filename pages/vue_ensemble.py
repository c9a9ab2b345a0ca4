"""Vue d'ensemble — every territory's CTG on a map, headline figures, filters and a table.

With territories in several départements (national scale), the page opens on France: a map
of the départements (conventions and phases per département) from which a click, or the
« Échelle de la carte » list, opens one département's EPCI map (`?dep=44`), with the same
headline figures and filters; the list leads back to France. A département whose map layer
is not installed shows a French message instead of its map (the table still works).

The map is drawn in the page itself (`ui/leaflet_map.py`), in a fragment so that clicking a
territory only reruns the map and its side panel. A browser's first page is drawn in two
passes (`ui/first_paint.py`): the title, the tabs and the map, then, once the map reports it
is drawn, the figures, lists and legend around it. The table, in the second
tab, is the map's accessible twin: same rows, same phase in words, and selecting a row opens
the same summary with the same link to the convention.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pandas as pd
import streamlit as st

from ctg_core.common import config, db, formats
from ctg_core.common.models import MeasureKind, TerritoryKind
from ctg_core.exchange import exports
from ctg_core.indicators import charts as indicator_charts
from ctg_core.indicators import queries as indicator_queries
from ctg_core.overview import map as overview_map
from ctg_core.overview import queries as overview
from ctg_core.overview.queries import FRANCE, DepartementRow, OverviewKpis, TerritoryRow
from ctg_core.plan import queries as plan_queries
from ctg_core.reference import territories
from ui import first_paint, overview_rows
from ui.auth import current_user
from ui.downloads import download_buttons
from ui.leaflet_map import leaflet_map
from ui.overview_filters import current_filters, sidebar_filters
from ui.plain_text import md

SELECTED_KEY = "ov_selected"
MAP_KEY = "ov_map"
FRANCE_MAP_KEY = "ov_map_france"
DRILL_KEY = "ov_drill"
DEP_KEY = "dep"  # ?dep=44 opens a département, ?dep=france the national map
TABLE_KEY = "ov_table"
TABLE_CODES_KEY = "ov_table_codes"
LAYER_KEY = "couche"  # ?couche=TXCOUV&annee=2024 reopens the same layer
YEAR_KEY = "annee"
PHASE_LAYER = "phase"


@st.cache_resource(show_spinner=False)
def territory_shapes(departement: str) -> overview_map.Shapes:
    """The département's outlines, read once per process."""
    return overview_map.shapes_from_layers(*territories.read_departement_layers(departement))


@st.cache_resource(show_spinner=False)
def france_shapes() -> overview_map.Shapes | None:
    """The départements' outlines (national map), read once per process."""
    path = territories.france_layer_path()
    return overview_map.france_shapes(territories.read_layer(path)) if path.is_file() else None


@st.cache_resource(show_spinner=False)
def departement_names() -> dict[str, str]:
    return territories.departement_names()


@st.cache_data(ttl=3600, show_spinner=False)
def loaded_departements(database_url: str) -> list[str]:
    """The départements holding territories (they change only at setup)."""
    with db.session() as session:
        return overview.departements(session)


def departement_label(code: str) -> str:
    if code == FRANCE:
        return "France entière"
    name = departement_names().get(code)
    return f"{name} ({code})" if name else f"Département {code}"


def chosen_scope(loaded: list[str]) -> str:
    """France or one département, from `?dep=`: an unknown value is ignored, never an error.

    With one département loaded there is no national view; with several, France is the
    default.
    """
    asked = st.query_params.get(DEP_KEY, "").strip()
    asked = asked.lower() if asked.lower() == FRANCE else asked.upper()
    national = len(loaded) > 1
    if asked in loaded or (national and asked == FRANCE):
        return asked
    if national:
        return FRANCE
    configured = config.departement()
    return configured if configured in loaded or not loaded else loaded[0]


def go_to(scope: str) -> None:
    """Open France or a département; the filters in the URL stay as they are."""
    st.query_params[DEP_KEY] = scope
    st.session_state.pop(SELECTED_KEY, None)


def scope_picker(loaded: list[str], scope: str) -> None:
    """The keyboard way between France and its départements (the map's click is the other)."""
    options = [FRANCE, *loaded]
    key = f"ov_scope_{scope}"  # a new widget per scope: it always shows the URL's choice
    st.selectbox(
        "Échelle de la carte",
        options,
        index=options.index(scope),
        format_func=departement_label,
        key=key,
        on_change=lambda: go_to(st.session_state[key]),
        help="La France par département, ou les EPCI d'un département.",
    )


# A resource, not data: shared as it is, not unpickled on every run (thousands of entries at
# national scale). Frozen entries in a tuple: nobody can change them.
@st.cache_resource(ttl=3600, show_spinner=False)
def territory_choices(departement: str, database_url: str) -> tuple[overview.TerritoryChoice, ...]:
    """Reference territories (they change once a year, with the INSEE millésime)."""
    with db.session() as session:
        return tuple(overview.territory_choices(session, departement))


def signed(delta: int) -> str:
    return ("+" if delta > 0 else "-") + formats.number(abs(delta))


def select_from_map() -> None:
    code = (st.session_state.get(MAP_KEY) or {}).get("clicked")
    if code:
        st.session_state[SELECTED_KEY] = str(code)


def drill_from_map() -> None:
    """A département clicked on the national map: open it (the fragment reruns the page)."""
    code = (st.session_state.get(FRANCE_MAP_KEY) or {}).get("clicked")
    if code:
        go_to(str(code))
        st.session_state[DRILL_KEY] = True


def select_from_table() -> None:
    rows = st.session_state[TABLE_KEY].selection.rows
    codes = st.session_state.get(TABLE_CODES_KEY, [])
    if rows and rows[0] < len(codes):
        st.session_state[SELECTED_KEY] = codes[rows[0]]


def show_kpis(kpis: OverviewKpis, today: date, national: bool = False) -> None:
    since = "en 12 mois"
    area = "de la population" if national else "du département"

    def metric(label: str, value: str, figure: overview.Figure, colour: str = "normal", **kw):  # type: ignore[no-untyped-def]
        delta = figure.delta
        st.metric(
            label,
            value,
            delta=None if delta is None else (0 if delta == 0 else signed(delta)),
            delta_color=colour,  # type: ignore[arg-type]
            delta_description=since if delta is not None else None,
            **kw,
        )

    first = st.columns(4)
    with first[0]:
        metric("Conventions signées", formats.number(kpis.signed.value), kpis.signed)
    with first[1]:
        metric(
            "En cours d'élaboration",
            formats.number(kpis.drafting.value),
            kpis.drafting,
            "off",
            help="Préparation, diagnostic partagé ou définition du plan d'actions.",
        )
    with first[2]:
        metric(
            f"Échéance dans les {overview.ENDING_SOON_MONTHS} mois",
            formats.number(kpis.ending_soon.value),
            kpis.ending_soon,
            help="Conventions signées dont la fin tombe dans les six prochains mois.",
        )
    with first[3]:
        metric(
            "Population couverte",
            formats.number(kpis.population_covered.value),
            kpis.population_covered,
            help="Population municipale (INSEE) des territoires sous une CTG signée.",
        )
    second = st.columns(4)
    with second[0]:
        share, share_then = kpis.population_share, kpis.population_share_year_ago
        points = None if share is None or share_then is None else round(100 * (share - share_then))
        st.metric(
            f"Part {area}",
            formats.percent(share),
            delta=None if points is None else (0 if points == 0 else f"{signed(points)} pts"),
            delta_description=since if points is not None else None,
            help=f"Part de la population municipale {area} couverte par une CTG signée "
            f"(population {'des territoires chargés' if national else 'du département'} : "
            f"{formats.number(kpis.departement_population)}).",
        )
    with second[1]:
        metric("Actions réalisées", formats.number(kpis.actions_done.value), kpis.actions_done)
    with second[2]:
        metric(
            "Actions en retard",
            formats.number(kpis.actions_late.value),
            kpis.actions_late,
            help="Échéance passée, ni réalisée ni abandonnée.",
        )
    with second[3]:
        metric(
            "Postes à renouveler",
            formats.number(kpis.renewals_pending.value),
            kpis.renewals_pending,
            "inverse",
            help="Postes de chargé de coopération dont la convention annuelle "
            f"{today.year} n'est pas encore signée.",
        )


def show_funding_alerts(count: int) -> None:
    """How many funding lines need action, as a link to the Financement page."""
    if count:
        st.page_link(
            "pages/financement.py",
            label=f"Financement des postes : {formats.number(count)} ligne"
            f"{'s' if count > 1 else ''} en alerte (renouvellements, acomptes bloqués, "
            "soldes à justifier)",
            icon=":material/warning:",
        )


def show_panel(row: TerritoryRow | None) -> None:
    """Summary of the selected territory's convention, with the way through to it."""
    with st.container(border=True):
        if row is None:
            st.caption(
                "Cliquez sur un territoire de la carte, ou sur une ligne du tableau, "
                "pour afficher sa convention."
            )
            return
        kind = "EPCI" if row.kind is TerritoryKind.epci else "Commune"
        st.markdown(f"**{md(row.name)}**  \n{kind} · {formats.number(row.population)} hab.")
        if row.convention_id is None:
            st.markdown("Phase : **Aucune CTG**")
            return
        lines = [
            f"Phase : **{md(row.phase_label)}**",
            f"Convention : {md(row.convention_title)}",
        ]
        if row.signed_on:
            lines.append(f"Signée le {formats.day(row.signed_on)}")
        if row.starts_on or row.ends_on:
            lines.append(
                f"Période : {formats.day(row.starts_on) or '…'} → {formats.day(row.ends_on) or '…'}"
            )
        lines.append(f"Chargé de coopération : {md(row.officer_name) or '—'}")
        if row.advisor_name:
            lines.append(f"Conseiller Caf : {md(row.advisor_name)}")
        planned = row.actions - row.actions_abandoned
        if planned:
            lines.append(
                f"Actions : {row.actions_done} réalisées sur {planned} "
                f"({formats.percent(row.done_ratio)}), {row.actions_late} en retard"
            )
        if row.renewals_pending:
            lines.append("Renouvellement annuel du poste : **en attente**")
        st.markdown("  \n".join(lines))
        st.page_link(
            "pages/convention.py",
            label="Ouvrir la convention",
            icon=":material/arrow_forward:",
            query_params={"convention": str(row.convention_id)},
        )


LAYER_WIDGET = "ov_layer"
YEAR_WIDGET = "ov_layer_year"


def layer_to_url() -> None:
    """The layer switch changed: the URL holds the choice before the fragment reruns, so the
    map can be built from it before the switch is drawn."""
    code = st.session_state[LAYER_WIDGET]
    st.query_params.pop(YEAR_KEY, None)
    if code == PHASE_LAYER:
        st.query_params.pop(LAYER_KEY, None)
    else:
        st.query_params[LAYER_KEY] = code


def year_to_url() -> None:
    st.query_params[YEAR_KEY] = st.session_state[YEAR_WIDGET]


def indicator_layer(departement: str) -> overview_map.IndicatorLayer | None:
    """The layer the URL asks for (`?couche=TXCOUV&annee=2024`), or None for the phase of
    each CTG (the default: then nothing is read before the map is drawn). An indicator or a
    year without values is dropped from the URL."""
    code = st.query_params.get(LAYER_KEY, PHASE_LAYER)
    if code == PHASE_LAYER:
        return None
    with db.session() as session:
        years = indicator_queries.comparable_years(session, code, departement)
    if not years:
        for key in (LAYER_KEY, YEAR_KEY):
            st.query_params.pop(key, None)
        return None
    asked = st.query_params.get(YEAR_KEY, "")
    year = int(asked) if asked in {str(y) for y in years} else years[0]
    st.query_params[LAYER_KEY], st.query_params[YEAR_KEY] = code, str(year)
    with db.session() as session:
        result = indicator_queries.compare_territories(session, code, year, departement)
    values = {
        r.code: overview_map.LayerValue(
            r.value, indicator_charts.value_text(r.value, result.measure, result.unit), r.source
        )
        for r in result.rows
    }
    digits = 0 if result.measure is MeasureKind.count else 1
    return overview_map.IndicatorLayer(code, result.name, result.unit, year, values, digits)


def layer_switch(departement: str, layer: overview_map.IndicatorLayer | None) -> None:
    """The map's layer switch: the phase of each CTG, or a catalogue indicator in one year,
    as on the Indicateurs page. Drawn after the map (the map is what the page waits for)."""
    with db.session() as session:
        found = indicator_queries.comparable(session, departement)
        names = {e.code: e.name for e in indicator_queries.catalogue(session) if e.code in found}
    if not names:
        return
    layer_col, year_col = st.columns([3, 1])
    st.session_state[LAYER_WIDGET] = layer.code if layer else PHASE_LAYER  # the URL's choice
    layer_col.selectbox(
        "Couche de la carte",
        [PHASE_LAYER, *names],
        format_func=lambda c: "Phase de la CTG" if c == PHASE_LAYER else names[c],
        key=LAYER_WIDGET,
        on_change=layer_to_url,
    )
    if layer:
        st.session_state[YEAR_WIDGET] = str(layer.year)
        year_col.selectbox(
            "Année", [str(y) for y in found[layer.code]], key=YEAR_WIDGET, on_change=year_to_url
        )


@st.fragment
def france_map_and_panel(departements: list[DepartementRow]) -> None:
    """The national map: a click on a département opens its EPCI map."""
    first_paint.rerun_if_drawn()
    shapes = france_shapes()
    left, right = st.columns([3, 1])
    with left:
        if shapes is None:
            first_paint.end_light_pass()
            st.warning(
                "La carte de France n'est pas installée sur ce serveur "
                "(`python scripts/build_geodata.py --france`) : choisissez un département "
                "dans la liste « Échelle de la carte » ou consultez l'onglet Tableau.",
                icon=":material/map:",
            )
        else:
            leaflet_map(
                overview_map.france_map(departements, shapes),
                key=FRANCE_MAP_KEY,
                height=520,
                on_click=drill_from_map,
                on_drawn=first_paint.on_drawn(),
            )
            st.caption(
                "Cliquez sur un département pour afficher ses EPCI (ou choisissez-le dans la "
                "liste « Échelle de la carte »). Contours : IGN Admin Express."
            )
    if first_paint.is_light():
        return
    with right:
        st.html(overview_map.france_legend_html(departements))
    if st.session_state.pop(DRILL_KEY, False):
        st.rerun(scope="app")


def departement_table(departements: list[DepartementRow]) -> None:
    """The national map's accessible twin: one row per département, counts in words."""
    frame = pd.DataFrame(
        {
            "Département": [departement_label(d.code) for d in departements],
            "Territoires": [d.territories for d in departements],
            "Conventions": [d.conventions for d in departements],
            "Signées": [d.signed for d in departements],
            "En cours d'élaboration": [d.drafting for d in departements],
            "Échues": [d.ended for d in departements],
            "Sans CTG": [d.without_ctg for d in departements],
            "Actions en retard": [d.actions_late for d in departements],
        }
    )
    st.dataframe(frame, hide_index=True, key="ov_departements")


@st.fragment
def map_and_panel(rows: list[TerritoryRow], departement: str, tiles: str) -> None:
    first_paint.rerun_if_drawn()
    if not territories.layers_installed(departement):  # checked each run: not cached
        first_paint.end_light_pass()
        st.warning(str(territories.MissingLayer(departement)), icon=":material/map:")
        st.caption("Les chiffres et l'onglet Tableau restent disponibles.")
        return
    shapes = territory_shapes(departement)
    switch = st.container()  # above the map, filled once the map is sent
    layer = indicator_layer(departement)
    left, right = st.columns([3, 1])
    with left:
        leaflet_map(
            overview_map.indicator_map(rows, shapes, layer, tiles=tiles)
            if layer
            else overview_map.overview_map(rows, shapes, tiles=tiles),
            key=MAP_KEY,
            height=520,
            on_click=select_from_map,
            on_drawn=first_paint.on_drawn(),
        )
        st.caption("Contours : IGN Admin Express · populations municipales : INSEE.")
    if first_paint.is_light():
        with switch:
            first_paint.keep_place(66)
        return
    with right:
        if layer:
            st.html(overview_map.indicator_legend_html(layer, [r.code for r in rows]))
        else:
            st.html(overview_map.legend_html(Counter(r.phase_key for r in rows)))
        selected = st.session_state.get(SELECTED_KEY)
        show_panel(next((r for r in rows if r.code == selected), None))
    with switch:
        layer_switch(departement, layer)


def territory_table(rows: list[TerritoryRow]) -> None:
    frame = pd.DataFrame(
        {
            "Territoire": [r.name for r in rows],
            "Type": ["EPCI" if r.kind is TerritoryKind.epci else "Commune" for r in rows],
            "Population": [r.population for r in rows],
            "Phase": [r.phase_label for r in rows],
            "Signée le": [r.signed_on for r in rows],
            "Fin": [r.ends_on for r in rows],
            "Chargé de coopération": [r.officer_name for r in rows],
            "Réalisées": [
                None if r.done_ratio is None else round(100 * r.done_ratio) for r in rows
            ],
            "En retard": [r.actions_late if r.convention_id else None for r in rows],
            "Renouvellement": [
                ("En attente" if r.renewals_pending else "À jour") if r.convention_id else ""
                for r in rows
            ],
        }
    )
    frame["Signée le"] = pd.to_datetime(frame["Signée le"])
    frame["Fin"] = pd.to_datetime(frame["Fin"])
    st.session_state[TABLE_CODES_KEY] = [r.code for r in rows]
    st.dataframe(
        frame.style.format({"Population": formats.number, "En retard": formats.number}, na_rep=""),
        hide_index=True,
        placeholder="—",
        key=TABLE_KEY,
        on_select=select_from_table,
        selection_mode="single-row",
        column_config={
            "Territoire": st.column_config.TextColumn(width=230),
            "Population": st.column_config.NumberColumn(help="Population municipale (INSEE)"),
            "Signée le": st.column_config.DateColumn(format="DD/MM/YYYY"),
            "Fin": st.column_config.DateColumn(format="DD/MM/YYYY", help="Fin de la convention"),
            "Chargé de coopération": st.column_config.TextColumn(width=150),
            "Réalisées": st.column_config.ProgressColumn(
                "Actions réalisées",
                min_value=0,
                max_value=100,
                format="%d %%",
                help="Actions réalisées sur les actions prévues (hors abandonnées).",
            ),
            "En retard": st.column_config.NumberColumn(help="Actions en retard"),
            "Renouvellement": st.column_config.TextColumn(
                "Poste", help="Renouvellement de la convention annuelle du poste de l'année"
            ),
        },
    )
    download_buttons(exports.overview_table(rows), "vue-ensemble-ctg", label="Tableau affiché")
    selected = st.session_state.get(SELECTED_KEY)
    show_panel(next((r for r in rows if r.code == selected), None))


user = current_user()
today = config.today()
loaded = loaded_departements(config.database_url())
scope = chosen_scope(loaded)
national = scope == FRANCE

with db.session() as session:
    axes = plan_queries.axes(session)
choices = territory_choices(scope, config.database_url())
filters = current_filters(axes, choices)
rows = overview_rows.territory_rows(user, today, filters, scope)

st.title("Vue d'ensemble des CTG")
where = "" if len(loaded) < 2 else f"{departement_label(scope)} · "
st.caption(
    f"{where}{formats.number(len(rows))} territoire{'s' if len(rows) > 1 else ''} "
    f"affiché{'s' if len(rows) > 1 else ''} · situation au {formats.long_day(today)}"
    f" · évolutions sur 12 mois, depuis le {formats.day(overview.year_before(today))}"
)
light = first_paint.is_light()  # the map first, the rest once it is drawn: ui/first_paint.py
picker_area = st.container()
kpi_area = st.container()
# Only the open tab is computed: the table's grid is not loaded while the map is shown.
map_tab, table_tab = st.tabs(
    ["Carte", "Tableau"], key="vue", on_change="rerun", bind="query-params"
)
departements = overview.departement_rows(rows, departement_names()) if national else []
if light and (not rows or table_tab.open):
    first_paint.end_light_pass()
if not rows:
    st.info("Aucun territoire ne correspond aux filtres choisis.", icon=":material/filter_alt:")
elif table_tab.open:
    with table_tab:
        if national:
            departement_table(departements)
        territory_table(rows)
elif national:
    with map_tab:
        france_map_and_panel(departements)
else:
    with map_tab:
        map_and_panel(rows, scope, config.map_tiles())
if light:
    if len(loaded) > 1:
        with picker_area:
            first_paint.keep_place(72)
    with kpi_area:
        first_paint.keep_place(257, "Chiffres clés en cours de chargement…")
    st.stop()
if len(loaded) > 1:
    with picker_area:
        scope_picker(loaded, scope)
# The figures are read and drawn once the map is on its way (their place is above it).
with db.session() as session:
    population = overview.departement_population(session, scope)
with kpi_area:
    show_kpis(overview.overview_kpis(rows, today, population), today, national)
    show_funding_alerts(sum(r.funding_alerts for r in rows))
sidebar_filters(axes, choices, filters)
