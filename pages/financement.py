"""Financement des postes de chargé de coopération — alerts, the year's lines and the cycle
of each (droit, renouvellement, acompte, justification, solde), posts and holders, the
Caf-wide view over the years, and the yearly rules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ctg_core.common import config, db, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.exchange import exports
from ctg_core.funding import charts as funding_charts
from ctg_core.funding import queries as funding_queries
from ctg_core.funding.queries import FundingAlert, FundingBook, FundingLine
from ctg_core.funding.rules import Stage
from ui.auth import current_user
from ui.chart_specs import spec_of
from ui.downloads import download_buttons
from ui.form_feedback import show_flash
from ui.funding_book import funding_book
from ui.funding_cycle import cycle_panel
from ui.funding_posts import posts_section
from ui.funding_rules import rules_section
from ui.paging import PAGE_SIZE, paged, paging_key
from ui.plain_text import md

TAB = "funding_tab"


def show_alerts(alerts: Sequence[FundingAlert]) -> None:
    """Renewals overdue or due within 60 days, acomptes blocked, soldes awaiting
    justification: one row per line and alert, the alert in words; a page at a time, and
    by kind when they are many."""
    if not alerts:
        st.success(
            "Aucune alerte : renouvellements, acomptes et soldes à jour.", icon=":material/check:"
        )
        return
    counts = {kind: sum(a.kind is kind for a in alerts) for kind in funding_queries.AlertKind}
    st.markdown(
        "**Alertes** — "
        + " · ".join(f"{kind.label} : {formats.number(n)}" for kind, n in counts.items() if n)
    )
    kind = None
    if len(alerts) > PAGE_SIZE:
        labels = {None: f"Toutes les alertes ({formats.number(len(alerts))})"} | {
            k: f"{k.label} ({formats.number(n)})" for k, n in counts.items() if n
        }
        kind = st.selectbox(
            "Type d'alerte",
            list(labels),
            format_func=labels.__getitem__,
            key="funding_alert_kind",
        )
    chosen = [a for a in alerts if kind is None or a.kind is kind]
    shown = paged(chosen, paging_key("funding-alerts", kind), label="Alertes")
    st.dataframe(
        pd.DataFrame(
            {
                "Alerte": [f"⚠ {a.kind.label}" for a in shown],
                "Territoire": [a.line.territory for a in shown],
                "Année": [str(a.line.year) for a in shown],
                "Détail": [a.detail for a in shown],
            }
        ),
        hide_index=True,
        key="funding_alerts",
        height=min(38 + 35 * len(shown), 260),
    )


def show_totals(total: funding_queries.Totals, year: int) -> None:
    cols = st.columns(4)
    cols[0].metric(f"Droits {year}", formats.euros(total.entitlements))
    cols[1].metric("Acomptes versés", formats.euros(total.advances_paid))
    cols[2].metric("Soldes à verser", formats.euros(total.balances_due))
    cols[3].metric(
        "Sommes à récupérer",
        formats.euros(total.to_recover),
        help="Soldes négatifs : l'acompte versé dépasse le droit définitif.",
    )


SORTS: dict[str, tuple[str, Callable[[FundingLine], Any] | None]] = {
    "territory": ("Territoire", None),  # the order of the book
    "entitlement": ("Droit (du plus élevé)", lambda line: -line.entitlement),
    "due": (
        "À signer avant (le plus proche)",
        lambda line: (line.renewal_due_on is None, line.renewal_due_on or date.max),
    ),
}


def line_filters(year_lines: Sequence[FundingLine]) -> tuple[list[FundingLine], tuple]:
    """Search by territory or holder, stage, lines in alert; and the order of the list.
    Returns the lines found, in that order, and the filters chosen."""
    search_col, stage_col, sort_col = st.columns([2, 2, 1])
    search = search_col.text_input(
        "Rechercher un territoire ou un titulaire",
        key="funding_search",
        placeholder="p. ex. Pornic, Martin…",
    )
    stages = stage_col.multiselect(
        "Étape",
        list(Stage),
        format_func=lambda stage: stage.label,
        key="funding_stages",
        placeholder="Toutes les étapes",
    )
    sort = sort_col.selectbox(
        "Trier par", list(SORTS), format_func=lambda k: SORTS[k][0], key="funding_sort"
    )
    in_alert = st.toggle("Seulement les lignes en alerte", key="funding_in_alert")
    found = funding_queries.matching(year_lines, search=search, stages=stages, with_alert=in_alert)
    by = SORTS[sort][1]
    return (sorted(found, key=by) if by else found), (search, stages, sort, in_alert)


def show_lines(shown: Sequence[FundingLine]) -> None:
    """The lines of the page (amounts in euros, the French way)."""
    frame = pd.DataFrame(
        {
            "Territoire": [line.territory for line in shown],
            "Titulaire(s)": [line.holders for line in shown],
            "ETP": [formats.number(line.fte, 2) for line in shown],
            "Mois": [line.months for line in shown],
            "Droit": [formats.euros(line.entitlement) for line in shown],
            "Étape": [line.stage.label for line in shown],
            "À signer avant": [formats.day(line.renewal_due_on) for line in shown],
            "Acompte": [
                formats.euros(line.advance_amount) if line.advance_paid_on else "—"
                for line in shown
            ],
            "Solde": [line.balance_text for line in shown],
            "Ce qui manque": [" ; ".join(line.missing) for line in shown],
        }
    )
    right = st.column_config.TextColumn(alignment="right")
    st.dataframe(
        frame,
        hide_index=True,
        key="funding_lines",
        column_config={
            "Territoire": st.column_config.TextColumn(width=220),
            "ETP": right,
            "Droit": right,
            "Acompte": right,
            "Ce qui manque": st.column_config.TextColumn(width="large"),
        },
    )


def year_tab(book: FundingBook, user: CurrentUser, today: date) -> None:
    years = sorted(set(book.years) | {today.year}, reverse=True)
    year = st.selectbox("Année", years, index=years.index(today.year), key="funding_year")
    year_lines = book.year(year)
    if not year_lines:
        st.info(f"Aucun poste financé en {year} sur vos territoires.", icon=":material/info:")
        return
    show_totals(book.totals(year), year)
    found, filters = line_filters(year_lines) if len(year_lines) > 1 else (list(year_lines), ())
    if not found:
        st.info("Aucune ligne ne correspond à ces filtres.", icon=":material/filter_alt_off:")
        return
    show_lines(paged(found, paging_key("funding-lines", year, *filters), label="Lignes"))
    download_buttons(
        lambda: exports.funding_table(found),
        f"financement-postes-{year}",
        label="Lignes",
        rows=len(found),
    )
    labels = {line.id: line.territory for line in found}
    line_id = st.selectbox(
        "Poste à suivre",
        list(labels),
        format_func=labels.__getitem__,
        key=f"funding_line_{year}",
    )
    with st.container(border=True):
        cycle_panel(next(line for line in found if line.id == line_id), user, today)


def caf_view_tab(view: pd.DataFrame, today: date) -> None:
    """Per year, droits, acomptes paid, soldes due or to recover, by EPCI and in total."""
    if view.empty:
        st.info("Aucun financement enregistré.", icon=":material/info:")
        return
    year_totals = view[view["epci"] == funding_queries.TOTAL]
    st.vega_lite_chart(spec=spec_of(funding_charts.yearly_chart, year_totals), width="stretch")
    years = sorted(year_totals["year"].tolist(), reverse=True)
    year_col, search_col = st.columns([1, 3])
    year = year_col.selectbox(
        "Année du détail",
        years,
        index=years.index(today.year) if today.year in years else 0,
        key="funding_caf_year",
    )
    search = search_col.text_input("Rechercher un EPCI", key="funding_caf_search")
    detail = view[(view["year"] == year) & (view["epci"] != funding_queries.TOTAL)]
    if search.strip():
        wanted = formats.folded(search)
        detail = detail[[wanted in formats.folded(e) for e in detail["epci"]]]
    if detail.empty:
        st.info(
            f"Aucun EPCI ne correspond à « {md(search.strip())} ».", icon=":material/search_off:"
        )
    rows = paged(detail.index.tolist(), paging_key("funding-caf", year, search), label="EPCI")
    shown = pd.concat(
        [
            detail.loc[list(rows)],
            view[(view["year"] == year) & (view["epci"] == funding_queries.TOTAL)],
        ]
    )
    money = ["entitlements", "advances_paid", "balances_settled", "balances_due", "to_recover"]
    table = shown.drop(columns="year").copy()
    for column in money:
        table[column] = [formats.euros(v) for v in table[column]]
    right = st.column_config.TextColumn(alignment="right")
    st.dataframe(
        table.rename(columns=CAF_HEADERS),
        hide_index=True,
        key="funding_caf_view",
        column_config={CAF_HEADERS[c]: right for c in money},
    )
    download_buttons(
        lambda: exports.caf_view_table(view),
        "financement-postes-vue-caf",
        label="Vue Caf",
        rows=len(view),
    )


CAF_HEADERS = {
    "epci": "EPCI",
    "lines": "Postes",
    "entitlements": "Droits",
    "advances_paid": "Acomptes versés",
    "balances_settled": "Soldes réglés (net)",
    "balances_due": "Soldes à verser",
    "to_recover": "Sommes à récupérer",
}


user = current_user()
today = config.today()
show_flash()

st.title("Financement des postes de chargé de coopération")
st.caption(
    "La Caf cofinance le poste de chargé de coopération de chaque territoire. Chaque année, le "
    "territoire renouvelle la convention du poste ; l'acompte est versé après signature, le "
    f"solde après justification des dépenses. Situation au {formats.day(today)}."
)

book = funding_book(user, today)
show_alerts(book.alerts)

# Only the open tab runs: the others cost nothing until chosen.
tab_names = ["Suivi de l'année", "Postes et titulaires", "Règles de financement"]
if user.reads_everything:
    tab_names.insert(1, "Vue Caf")
tabs = dict(zip(tab_names, st.tabs(tab_names, key=TAB, on_change="rerun"), strict=True))
if tabs["Suivi de l'année"].open:
    with tabs["Suivi de l'année"]:
        year_tab(book, user, today)
if "Vue Caf" in tabs and tabs["Vue Caf"].open:
    with tabs["Vue Caf"]:
        caf_view_tab(book.caf_view, today)
if tabs["Postes et titulaires"].open:
    with db.session() as session:
        posts = funding_queries.posts(session, user)
    with tabs["Postes et titulaires"]:
        posts_section(posts, user, today)
if tabs["Règles de financement"].open:
    with db.session() as session:
        rules = funding_queries.funding_rules(session)
    with tabs["Règles de financement"]:
        rules_section(rules, user, today)
