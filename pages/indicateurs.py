"""Indicateurs — trends of a convention's indicators against their baseline and target."""

import pandas as pd
import streamlit as st

from ctg_core.common import config, db, formats
from ctg_core.indicators import charts as indicator_charts
from ctg_core.indicators import commands as indicator_commands
from ctg_core.indicators import queries as indicator_queries
from ctg_core.plan import queries as plan_queries
from ui import exchange_view
from ui.auth import current_user
from ui.chart_specs import spec_of
from ui.convention_picker import pick_convention, readable_refs
from ui.form_feedback import save, show_flash
from ui.plain_text import md

user = current_user()
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

if not series:
    st.info("Cette convention n'a pas encore d'indicateur.", icon=":material/info:")
    st.stop()
exchange_view.indicator_downloads(convention_id, header.territory_name, user)
if header.can_edit_plan:
    exchange_view.indicator_import(convention_id, user)

for item in series:
    with st.container(border=True):
        st.subheader(md(item.name))
        left, right = st.columns([3, 2])
        with left:
            st.vega_lite_chart(
                spec=spec_of(indicator_charts.sparkline, item, width=520, height=180)
            )
            st.caption(md(indicator_charts.describe(item)))
        with right:
            unit = f" {md(item.unit)}" if item.unit else ""
            sens = item.direction.label
            st.markdown(
                f"**Référence** : {formats.number(item.baseline_value, 1)}{unit} "
                f"({item.baseline_year or '—'})  \n"
                f"**Cible** : {formats.number(item.target_value, 1)}{unit} "
                f"({item.target_year or '—'}) · {sens}  \n"
                f"**Source** : {md(item.source) if item.source else '—'}"
            )
            table = pd.DataFrame(
                {
                    "Année": item.points["year"].astype(int),
                    "Valeur": [f"{formats.number(v, 1)}{unit}" for v in item.points["value"]],
                    "Source": item.points["source"],
                }
            )
            st.dataframe(table, hide_index=True)
        if header.can_edit_plan:
            with st.form(f"measure-{item.id}"):
                cols = st.columns(3)
                year = cols[0].number_input(
                    "Année", min_value=2000, max_value=2100, value=config.today().year, step=1
                )
                value = cols[1].text_input("Valeur mesurée", placeholder="ex. 42,5")
                source = cols[2].text_input("Source", value=item.source)
                if st.form_submit_button("Ajouter la valeur"):
                    save(
                        lambda session, item=item, year=year, value=value, source=source: (
                            indicator_commands.record_indicator_value(
                                session,
                                user,
                                item.id,
                                {"year": int(year), "value": value, "source": source},
                            )
                        ),
                        done="Valeur enregistrée.",
                    )
