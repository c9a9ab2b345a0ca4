"""Financement des postes de chargé de coopération — alerts, the year's lines and the cycle
of each (droit, renouvellement, acompte, justification, solde), posts and holders, the
Caf-wide view over the years, and the yearly rules."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from ctg_core.common import config, db, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.exchange import exports
from ctg_core.funding import charts as funding_charts
from ctg_core.funding import queries as funding_queries
from ctg_core.funding.queries import FundingAlert, FundingLine
from ui.auth import current_user
from ui.chart_specs import spec_of
from ui.downloads import download_buttons
from ui.form_feedback import show_flash
from ui.funding_cycle import cycle_panel
from ui.funding_posts import posts_section
from ui.funding_rules import rules_section


def show_alerts(alerts: list[FundingAlert]) -> None:
    """Renewals overdue or due within 60 days, acomptes blocked, soldes awaiting
    justification: one row per line and alert, the alert in words."""
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
    st.dataframe(
        pd.DataFrame(
            {
                "Alerte": [f"⚠ {a.kind.label}" for a in alerts],
                "Territoire": [a.line.territory for a in alerts],
                "Année": [str(a.line.year) for a in alerts],
                "Détail": [a.detail for a in alerts],
            }
        ),
        hide_index=True,
        key="funding_alerts",
        height=min(38 + 35 * len(alerts), 260),
    )


def show_year(year_lines: list[FundingLine], year: int) -> None:
    """The year's totals, then its lines (amounts in euros, the French way)."""
    total = funding_queries.totals(year_lines)
    cols = st.columns(4)
    cols[0].metric(f"Droits {year}", formats.euros(total.entitlements))
    cols[1].metric("Acomptes versés", formats.euros(total.advances_paid))
    cols[2].metric("Soldes à verser", formats.euros(total.balances_due))
    cols[3].metric(
        "Sommes à récupérer",
        formats.euros(total.to_recover),
        help="Soldes négatifs : l'acompte versé dépasse le droit définitif.",
    )
    frame = pd.DataFrame(
        {
            "Territoire": [line.territory for line in year_lines],
            "Titulaire(s)": [line.holders for line in year_lines],
            "ETP": [float(line.fte) for line in year_lines],
            "Mois": [line.months for line in year_lines],
            "Droit": [float(line.entitlement) for line in year_lines],
            "Étape": [line.stage.label for line in year_lines],
            "À signer avant": [formats.day(line.renewal_due_on) for line in year_lines],
            "Acompte": [
                float(line.advance_amount) if line.advance_paid_on else None for line in year_lines
            ],
            "Solde": [line.balance_text for line in year_lines],
            "Ce qui manque": [" ; ".join(line.missing) for line in year_lines],
        }
    )
    st.dataframe(
        frame.style.format(
            {
                "ETP": lambda v: formats.number(v, 2),
                "Droit": formats.euros,
                "Acompte": formats.euros,
            },
            na_rep="—",
        ),
        hide_index=True,
        key="funding_lines",
        column_config={
            "Territoire": st.column_config.TextColumn(width=220),
            "Ce qui manque": st.column_config.TextColumn(width="large"),
        },
    )
    download_buttons(
        exports.funding_table(year_lines), f"financement-postes-{year}", label="Lignes"
    )


def year_tab(every_line: list[FundingLine], user: CurrentUser, today: date) -> None:
    years = sorted({line.year for line in every_line} | {today.year}, reverse=True)
    year = st.selectbox("Année", years, index=years.index(today.year), key="funding_year")
    year_lines = [line for line in every_line if line.year == year]
    if not year_lines:
        st.info(f"Aucun poste financé en {year} sur vos territoires.", icon=":material/info:")
        return
    show_year(year_lines, year)
    by_id = {line.id: line for line in year_lines}
    line_id = st.selectbox(
        "Poste à suivre",
        list(by_id),
        format_func=lambda i: by_id[i].territory,
        key=f"funding_line_{year}",
    )
    with st.container(border=True):
        cycle_panel(by_id[line_id], user, today)


def caf_view_tab(every_line: list[FundingLine], today: date) -> None:
    """Per year, droits, acomptes paid, soldes due or to recover, by EPCI and in total."""
    view = funding_queries.caf_view(every_line)
    if view.empty:
        st.info("Aucun financement enregistré.", icon=":material/info:")
        return
    st.vega_lite_chart(spec=spec_of(funding_charts.yearly_chart, view), width="stretch")
    years = sorted(view["year"].unique().tolist(), reverse=True)
    year = st.selectbox(
        "Année du détail",
        years,
        index=years.index(today.year) if today.year in years else 0,
        key="funding_caf_year",
    )
    detail = view[view["year"] == year].drop(columns="year")
    money = ["entitlements", "advances_paid", "balances_settled", "balances_due", "to_recover"]
    st.dataframe(
        detail.rename(columns=CAF_HEADERS).style.format(
            {CAF_HEADERS[c]: formats.euros for c in money}
        ),
        hide_index=True,
        key="funding_caf_view",
    )
    download_buttons(exports.caf_view_table(view), "financement-postes-vue-caf", label="Vue Caf")


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

with db.session() as session:
    every_line = funding_queries.lines(session, user, today)
    posts = funding_queries.posts(session, user)
    rules = funding_queries.funding_rules(session)

show_alerts(funding_queries.alerts_in(every_line))

tab_names = ["Suivi de l'année", "Postes et titulaires", "Règles de financement"]
if user.reads_everything:
    tab_names.insert(1, "Vue Caf")
tabs = dict(zip(tab_names, st.tabs(tab_names), strict=True))
with tabs["Suivi de l'année"]:
    year_tab(every_line, user, today)
if "Vue Caf" in tabs:
    with tabs["Vue Caf"]:
        caf_view_tab(every_line, today)
with tabs["Postes et titulaires"]:
    posts_section(posts, user, today)
with tabs["Règles de financement"]:
    rules_section(rules, user, today)
