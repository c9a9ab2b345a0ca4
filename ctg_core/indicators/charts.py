"""Small Altair trend charts (sparklines) from indicator series; no database access."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ctg_core.common import formats
from ctg_core.indicators.queries import IndicatorSeries


def sparkline_data(series: IndicatorSeries) -> pd.DataFrame:
    """One row per measured value, with its French label for the tooltip."""
    points = series.points
    unit = f" {series.unit}" if series.unit else ""
    return pd.DataFrame(
        {
            "Année": points["year"].astype(int),
            "Valeur": points["value"].astype(float),
            "Libellé": [f"{formats.number(v, 1)}{unit}" for v in points["value"]],
        }
    )


def sparkline(series: IndicatorSeries, *, width: int = 260, height: int = 70) -> alt.Chart:
    """The measured values as a line with points, and the target as a dashed rule.

    The target is drawn only when it exists; the y scale includes it so that the distance
    left to go is visible.
    """
    data = sparkline_data(series)
    values = list(data["Valeur"])
    if series.target_value is not None:
        values.append(series.target_value)
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    margin = (high - low) * 0.1 or 1.0
    y = alt.Y("Valeur:Q", axis=None, scale=alt.Scale(domain=[low - margin, high + margin]))
    x = alt.X("Année:O", axis=alt.Axis(title=None, labelAngle=0, ticks=False, domain=False))
    tooltip = [alt.Tooltip("Année:O"), alt.Tooltip("Libellé:N", title="Valeur")]
    base = alt.Chart(data).encode(x=x, y=y, tooltip=tooltip)
    chart: alt.Chart | alt.LayerChart = base.mark_line(strokeWidth=2) + base.mark_point(
        filled=True, size=40
    )
    if series.target_value is not None:
        target = (
            alt.Chart(pd.DataFrame({"Cible": [series.target_value]}))
            .mark_rule(strokeDash=[4, 3], opacity=0.7)
            .encode(y=alt.Y("Cible:Q", scale=alt.Scale(domain=[low - margin, high + margin])))
        )
        chart = chart + target
    return chart.properties(width=width, height=height)  # type: ignore[return-value]


def describe(series: IndicatorSeries) -> str:
    """A sentence that says what the sparkline shows (alt text; status never by colour)."""
    unit = f" {series.unit}" if series.unit else ""
    if series.points.empty:
        return f"{series.name} : aucune valeur mesurée."
    first, last = series.points.iloc[0], series.points.iloc[-1]
    text = (
        f"{series.name} : {formats.number(first['value'], 1)}{unit} en {int(first['year'])}, "
        f"{formats.number(last['value'], 1)}{unit} en {int(last['year'])}"
    )
    if series.target_value is not None:
        text += f" ; cible {formats.number(series.target_value, 1)}{unit}"
        if series.target_year:
            text += f" en {series.target_year}"
    return text + "."
