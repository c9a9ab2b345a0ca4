"""« Avancement par axe » on the Convention page: key figures, the per-axis chart (a click
filters the plan) and the same figures as a table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ctg_core.common import formats
from ctg_core.common.models import ActionStatus
from ctg_core.plan import charts as plan_charts
from ctg_core.plan import queries as plan_queries
from ctg_core.plan.queries import AxisStatus
from ui.chart_specs import spec_of
from ui.plan_view import AXES


def axis_clicked(chart_key: str) -> None:
    """A click on a bar filters the plan on that axis; a second click shows every axis."""
    event = st.session_state.get(chart_key)
    picked = (event or {}).get("selection", {}).get(plan_charts.AXIS_SELECTION, [])
    ids = sorted({int(p["axis_id"]) for p in picked if "axis_id" in p})
    current = sorted(st.session_state.get(AXES) or [])
    st.session_state[AXES] = [] if ids == current else ids


def axis_table(statuses: list[AxisStatus]) -> pd.DataFrame:
    """The chart as a table (readable by screen readers, and the figures are exact)."""
    rows = []
    for status in statuses:
        row: dict[str, object] = {"Axe": status.axis}
        row.update({s.label: status.by_status.get(s, 0) for s in ActionStatus})
        row["Total"] = status.total
        row["Avancement moyen"] = formats.percent(status.mean_progress / 100)
        row["En retard"] = status.late
        row["Points de vigilance"] = status.vigilance
        rows.append(row)
    return pd.DataFrame(rows)


def show_axis_status(active: pd.DataFrame, axis_filter: list[int]) -> None:
    st.header("Avancement par axe")
    statuses = plan_queries.axis_status(active)
    total, late = len(active), int(active["late"].sum())
    vigilance = int((active["vigilance"].fillna("").str.strip() != "").sum())
    mean = float(active["progress"].mean()) if total else None
    count_col, mean_col, late_col, vigilance_col = st.columns(4)
    count_col.metric("Actions du plan", formats.number(total))
    mean_col.metric("Avancement moyen", formats.percent(mean / 100) if mean is not None else "—")
    late_col.metric("En retard", formats.number(late))
    vigilance_col.metric("Points de vigilance", formats.number(vigilance))
    if not statuses:
        st.info("Le plan d'actions ne contient encore aucune action.", icon=":material/info:")
        return
    chart_tab, table_tab = st.tabs(["Graphique", "Tableau"])
    with chart_tab:
        chart_key = "axis_chart-" + "-".join(str(i) for i in sorted(axis_filter))
        st.vega_lite_chart(
            spec=spec_of(plan_charts.axis_status_chart, statuses, tuple(axis_filter)),
            key=chart_key,
            on_select=lambda: axis_clicked(chart_key),
            selection_mode=plan_charts.AXIS_SELECTION,
            width="stretch",
        )
        st.caption(
            "Cliquez sur un axe pour filtrer le plan d'actions ci-dessous ; cliquez-le à "
            "nouveau pour revenir à tous les axes. Chaque segment porte son nombre d'actions."
        )
    with table_tab:
        st.dataframe(axis_table(statuses), key="axis_table", hide_index=True)
