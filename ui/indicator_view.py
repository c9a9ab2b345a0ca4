"""How the indicators are shown: status in words and symbols, trends, values with their
history, territories compared, the catalogue. Reads only; the forms are in
`ui.indicator_forms`."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from ctg_core.common import formats
from ctg_core.indicators import charts as indicator_charts
from ctg_core.indicators.queries import (
    CatalogueEntry,
    Comparison,
    IndicatorSeries,
    ValueChange,
)
from ui.chart_specs import spec_of
from ui.plain_text import md

OUT_OF_BOUNDS = "⚠ hors limites : à corriger ou retirer"


def value_text(item: IndicatorSeries, value: float | None) -> str:
    return indicator_charts.value_text(value, item.measure, item.unit)


def status_table(series: Sequence[IndicatorSeries]) -> None:
    """One line per indicator: status (symbol and word), latest value, target."""
    rows = []
    for item in series:
        drawable = item.drawable
        latest = (
            f"{value_text(item, float(drawable['value'].iloc[-1]))} "
            f"({int(drawable['year'].iloc[-1])})"
            if not drawable.empty
            else "—"
        )
        target = (
            f"{value_text(item, item.target_value)} ({item.target_year or '—'})"
            if item.target_value is not None
            else "—"
        )
        rows.append(
            {
                "Indicateur": item.name,
                "Statut": item.status.text,
                "Dernière valeur": latest,
                "Cible": target,
            }
        )
    st.table(pd.DataFrame(rows).set_index("Indicateur"))


def status_rule_caption() -> None:
    st.caption(
        "Statut : ✓ atteint (la dernière valeur atteint la cible) · ↗ en bonne voie (au moins "
        "la valeur attendue sur la trajectoire droite de la référence à la cible) · ⚠ en "
        "retard · ? pas de donnée récente (aucune valeur depuis deux ans) · — sans cible."
    )


def facts(item: IndicatorSeries) -> None:
    """Status, baseline, target, direction, kind, source: in words."""
    lines = [
        f"**Statut** : {item.status.text}",
        f"**Référence** : {md(value_text(item, item.baseline_value))} "
        f"({item.baseline_year or '—'})",
        f"**Cible** : {md(value_text(item, item.target_value))} ({item.target_year or '—'}) "
        f"· {item.direction.label}",
        f"**Type de mesure** : {item.measure.label}",
        f"**Source** : {md(item.source) if item.source else '—'}",
    ]
    if item.catalogue_code:
        lines.append(f"**Catalogue** : {md(item.catalogue_code)} (comparable entre territoires)")
    st.markdown("  \n".join(lines))
    if item.definition:
        st.caption(md(item.definition))


def values_table(item: IndicatorSeries) -> None:
    """The measured values with their year and source; a value stored before the bounds
    existed is listed, marked, and never breaks the page."""
    if item.points.empty:
        st.caption("Aucune valeur mesurée.")
        return
    table = pd.DataFrame(
        {
            "Année": [str(int(y)) for y in item.points["year"]],
            "Valeur": [
                value_text(item, v) if ok else f"{value_text(item, v)} {OUT_OF_BOUNDS}"
                for v, ok in zip(item.points["value"], item.points["in_bounds"], strict=True)
            ],
            "Source": [s or "—" for s in item.points["source"]],
        }
    )
    st.table(table.set_index("Année"))


def value_history(changes: Sequence[ValueChange]) -> None:
    if not changes:
        st.caption("Aucune modification des valeurs.")
        return
    for change in changes[:20]:
        st.markdown(
            f"**{formats.moment(change.at)}** — {md(change.user_name)} · "
            f"{md(change.operation_label)} {change.year}  \n{md(change.summary)}"
        )
    if len(changes) > 20:
        st.caption(f"… et {len(changes) - 20} modification(s) plus ancienne(s).")


def trend(item: IndicatorSeries) -> None:
    st.vega_lite_chart(
        spec=spec_of(indicator_charts.trend_chart, item, key=item.chart_key, width=560, height=240),
        width="stretch",
        alt=indicator_charts.describe(item),
    )
    st.caption(md(indicator_charts.describe(item)))


# --- territories compared --------------------------------------------------------------------


def comparison(result: Comparison) -> None:
    """The ranked bars and their accessible twin: the same values in a table."""
    if not result.rows:
        st.info("Aucun territoire n'a de valeur pour cette année.", icon=":material/info:")
        return
    unit = f" ({md(result.unit)})" if result.unit else ""
    st.markdown(f"**{md(result.name)}**{unit} — {result.year}")
    st.vega_lite_chart(spec=spec_of(indicator_charts.comparison_chart, result), width="stretch")
    notes = []
    if result.departement_value is not None:
        shown = indicator_charts.value_text(result.departement_value, result.measure, result.unit)
        notes.append(
            f"Valeur du département ({result.departement}) : {md(shown)} (ligne pointillée)."
        )
    else:
        notes.append("Valeur du département non publiée pour cette année.")
    mine = result.highlighted
    if mine:
        ranks = ", ".join(f"{md(r.name)} : {r.rank}ᵉ sur {len(result.rows)}" for r in mine)
        notes.append(f"★ Votre territoire — {ranks}.")
    st.caption(" ".join(notes))
    table = pd.DataFrame(
        {
            "Rang": [str(r.rank) for r in result.rows],
            "Territoire": [indicator_charts.territory_label(r) for r in result.rows],
            "Valeur": [
                indicator_charts.value_text(r.value, result.measure, result.unit)
                for r in result.rows
            ],
            "Source": [r.source for r in result.rows],
        }
    )
    with st.expander("Les mêmes valeurs en tableau"):
        st.table(table.set_index("Rang"))


# --- the catalogue ---------------------------------------------------------------------------


def catalogue_table(entries: Sequence[CatalogueEntry]) -> None:
    table = pd.DataFrame(
        {
            "Code": [e.code for e in entries],
            "Indicateur": [e.name + (" (archivé)" if e.archived else "") for e in entries],
            "Unité": [e.unit or "—" for e in entries],
            "Type de mesure": [e.measure.label for e in entries],
            "Sens": [e.direction.label for e in entries],
            "Source": [e.source or "—" for e in entries],
        }
    )
    st.table(table.set_index("Code"))
    with st.expander("Définitions"):
        for e in entries:
            st.markdown(f"**{md(e.code)} — {md(e.name)}**  \n{md(e.definition) or '—'}")


# --- the convention page's glance at its indicators ---------------------------------------------


def convention_glance(series: Sequence[IndicatorSeries], convention_id: int) -> None:
    """Each indicator's status and sparkline (the same sparkline as the committee's
    presenter), with the way to the Indicateurs page."""
    st.header("Indicateurs")
    if not series:
        st.caption("Aucun indicateur suivi pour cette convention.")
    else:
        per_row = 3
        for start in range(0, len(series), per_row):
            columns = st.columns(per_row)
            for column, item in zip(columns, series[start : start + per_row], strict=False):
                with column:
                    st.markdown(f"**{md(item.name)}**  \n{item.status.text}")
                    if item.drawable.empty:
                        st.caption("Aucune valeur mesurée.")
                        continue
                    st.vega_lite_chart(
                        spec=spec_of(indicator_charts.sparkline, item, key=item.chart_key),
                        width="stretch",
                        alt=indicator_charts.describe(item),
                    )
    st.page_link(
        "pages/indicateurs.py",
        label="Indicateurs : tendances, comparaison et saisie",
        icon=":material/monitoring:",
        query_params={"convention": str(convention_id)},
    )
