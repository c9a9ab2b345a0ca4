"""Altair charts of the indicators (no database access): a convention's trends, the
sparkline shared by the convention page and the committee's presenter, and territories
compared on a catalogue indicator.

Every chart reads in French (the y-axis is titled with the unit, numbers as « 1 234,5 »),
every value carries its year, the baseline and the target are labelled lines, and what
colour says is also written (« ✓ objectif atteint », « ★ votre territoire »). A value stored
before the bounds existed (1e30, -1e308) never reaches a scale: charts draw what the kind
allows and the pages list the rest for correction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd

from ctg_core.common import formats
from ctg_core.common.models import MeasureKind, TerritoryKind
from ctg_core.indicators.queries import ComparedTerritory, Comparison, IndicatorSeries
from ctg_core.indicators.status import expected_value, path_start, reaches_target
from ctg_core.plan.charts import FRENCH_LOCALE

NUMBER_FORMAT = ",.2~f"  # d3-format: 1 234,5 with the French locale; no useless zeros
YEAR_FORMAT = "d"  # 2026, never « 2 026 »
INK = "#1B1F24"
MEASURED = "#0072B2"
REFERENCE = "#5F6B7A"
TARGET = "#B3261E"
REACHED = "#007A5A"
OTHERS = "#A7B1BD"
YOURS = "#0072B2"


def in_french(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """French number format in axes and tooltips (the locale of `plan.charts`)."""
    return chart.configure(locale=FRENCH_LOCALE).configure_view(stroke=None)


def value_text(value: float | None, kind: MeasureKind | str, unit: str = "") -> str:
    """« 58,4 places pour 100 enfants », « 120 places »: a value as the pages write it."""
    if value is None:
        return "—"
    digits = 0 if MeasureKind(kind) is MeasureKind.count else 1
    text = formats.number(value, digits)
    return f"{text} {unit}".strip() if unit else text


# --- a convention's trends -------------------------------------------------------------------


def trend_data(series: IndicatorSeries) -> pd.DataFrame:
    """One row per drawable measured value: year, value, French label, target reached."""
    points = series.drawable
    values = [float(v) for v in points["value"]]
    reached = [reaches_target(v, series.goal) for v in values]
    first_reached = reached.index(True) if True in reached else None
    return pd.DataFrame(
        {
            "Année": [int(y) for y in points["year"]],
            "Valeur": values,
            "Libellé": [value_text(v, series.measure, series.unit) for v in values],
            "Étiquette": [value_text(v, series.measure) for v in values],
            "Objectif atteint": [
                "✓ objectif atteint" if i == first_reached else "" for i in range(len(values))
            ],
        }
    )


def reference_lines(series: IndicatorSeries) -> pd.DataFrame:
    """The baseline and the target as labelled horizontal lines (those that are set)."""
    rows = []
    for label, value, year in (
        ("Référence", series.baseline_value, series.baseline_year),
        ("Cible", series.target_value, series.target_year),
    ):
        if value is None or not math.isfinite(value):
            continue
        when = f" {year}" if year else ""
        rows.append(
            {
                "Repère": label,
                "Valeur": float(value),
                "Libellé": f"{label}{when} : {value_text(value, series.measure, series.unit)}",
            }
        )
    return pd.DataFrame(rows, columns=["Repère", "Valeur", "Libellé"])


def expected_path(series: IndicatorSeries) -> pd.DataFrame:
    """The straight path from the baseline (or first value) to the target, year by year."""
    goal = series.goal
    measured = list(zip(series.drawable["year"], series.drawable["value"], strict=True))
    start = path_start(goal, [(int(y), float(v)) for y, v in measured])
    if start is None or goal.target_value is None or goal.target_year is None:
        return pd.DataFrame(columns=["Année", "Valeur", "Libellé"])
    years = sorted({start[0], goal.target_year})
    values = [expected_value(goal, start, y) for y in years]
    return pd.DataFrame(
        {
            "Année": years,
            "Valeur": values,
            "Libellé": [
                f"Trajectoire {y} : {value_text(v, series.measure, series.unit)}"
                for y, v in zip(years, values, strict=True)
            ],
        }
    )


def _domain(values: Sequence[float]) -> list[float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return [0.0, 1.0]
    low, high = min(finite), max(finite)
    margin = (high - low) * 0.12 or abs(high) * 0.1 or 1.0
    return [low - margin, high + margin]


def _years(series: IndicatorSeries, data: pd.DataFrame) -> list[float]:
    years = [*data["Année"], series.baseline_year, series.target_year]
    known = [int(y) for y in years if y is not None]
    if not known:
        return [0.0, 1.0]
    return [min(known) - 0.5, max(known) + 0.5]


def _trend_layers(
    series: IndicatorSeries, *, width: int, height: int, labels: bool = True
) -> alt.LayerChart:
    data = trend_data(series)
    references = reference_lines(series)
    path = expected_path(series)
    y_scale = alt.Scale(
        domain=_domain([*data["Valeur"], *references["Valeur"], *path["Valeur"]]), nice=False
    )
    x_scale = alt.Scale(domain=_years(series, data), nice=False)
    x = alt.X(
        "Année:Q",
        scale=x_scale,
        axis=alt.Axis(title=None, format=YEAR_FORMAT, tickMinStep=1, labelFlush=False),
    )
    y = alt.Y(
        "Valeur:Q",
        scale=y_scale,
        axis=alt.Axis(title=series.unit or "valeur", format=NUMBER_FORMAT, tickCount=5),
    )
    tooltip = [alt.Tooltip("Année:Q", format=YEAR_FORMAT), alt.Tooltip("Libellé:N", title="Valeur")]
    layers: list[alt.Chart] = []
    for _, line in references.iterrows():
        target = line["Repère"] == "Cible"
        one = pd.DataFrame([line])
        rule = (
            alt.Chart(one)
            .mark_rule(
                color=TARGET if target else REFERENCE,
                strokeDash=[6, 4] if target else [1, 0],
                strokeWidth=1.5,
            )
            .encode(y=alt.Y("Valeur:Q", scale=y_scale), tooltip=[alt.Tooltip("Libellé:N")])
        )
        text = (
            alt.Chart(one)
            .mark_text(
                align="left",
                baseline="bottom",
                dx=3,
                dy=-2,
                color=TARGET if target else REFERENCE,
                fontSize=11,
            )
            .encode(y=alt.Y("Valeur:Q", scale=y_scale), x=alt.value(0), text="Libellé:N")
        )
        layers += [rule, text] if labels else [rule]
    if not path.empty:
        layers.append(
            alt.Chart(path)
            .mark_line(color=REFERENCE, strokeDash=[2, 3], strokeWidth=1.5)
            .encode(x=x, y=y, tooltip=[alt.Tooltip("Libellé:N", title="Trajectoire")])
        )
    if not data.empty:
        base = alt.Chart(data).encode(x=x, y=y, tooltip=tooltip)
        layers += [
            base.mark_line(color=MEASURED, strokeWidth=2.5),
            base.mark_point(filled=True, size=60, color=MEASURED),
        ]
        if labels:
            layers.append(base.mark_text(dy=-10, color=INK, fontSize=11).encode(text="Étiquette:N"))
        reached = data[data["Objectif atteint"] != ""]
        if not reached.empty:
            marked = alt.Chart(reached).encode(x=x, y=y, tooltip=tooltip)
            layers += [
                marked.mark_point(shape="diamond", size=180, filled=True, color=REACHED),
                marked.mark_text(dy=18, color=REACHED, fontWeight="bold", fontSize=11).encode(
                    text="Objectif atteint:N"
                ),
            ]
    if not layers:  # nothing to draw: an empty frame with its titled axis
        layers.append(
            alt.Chart(pd.DataFrame({"Année": [], "Valeur": []})).mark_point().encode(x=x, y=y)
        )
    return alt.layer(*layers).properties(width=width, height=height)


def trend_chart(series: IndicatorSeries, *, width: int = 560, height: int = 240) -> alt.LayerChart:
    """One indicator: values with their year, baseline and target as labelled lines, the
    expected path between them, « objectif atteint » at the first value that reaches it."""
    return in_french(_trend_layers(series, width=width, height=height))  # type: ignore[return-value]


def small_multiples(
    series: Sequence[IndicatorSeries], *, columns: int = 3, width: int = 240, height: int = 130
) -> alt.ConcatChart:
    """A convention's indicators side by side, each titled with its name and status."""
    charts = [
        _trend_layers(s, width=width, height=height, labels=False).properties(
            title=alt.TitleParams(
                text=formats_title(s.name),
                subtitle=s.status.text,
                anchor="start",
                fontSize=13,
                subtitleFontSize=12,
            )
        )
        for s in series
    ]
    return in_french(alt.concat(*charts, columns=columns, spacing=24))  # type: ignore[return-value]


def formats_title(name: str, limit: int = 42) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


# --- the sparkline (convention page, committee presenter) ------------------------------------


def sparkline_data(series: IndicatorSeries) -> pd.DataFrame:
    """One row per drawable measured value, with its French label for the tooltip."""
    data = trend_data(series)
    return data[["Année", "Valeur", "Libellé"]]


def sparkline(series: IndicatorSeries, *, width: int = 260, height: int = 70) -> alt.LayerChart:
    """The measured values as a line with points and the target as a dashed rule; no axis
    (the caption `describe` says the numbers). The y scale includes the target so that the
    distance left to go is visible."""
    data = sparkline_data(series)
    references = reference_lines(series)
    references = references[references["Repère"] == "Cible"]
    y_scale = alt.Scale(domain=_domain([*data["Valeur"], *references["Valeur"]]), nice=False)
    y = alt.Y("Valeur:Q", axis=None, scale=y_scale)
    x = alt.X("Année:O", axis=alt.Axis(title=None, labelAngle=0, ticks=False, domain=False))
    tooltip = [alt.Tooltip("Année:O"), alt.Tooltip("Libellé:N", title="Valeur")]
    base = alt.Chart(data).encode(x=x, y=y, tooltip=tooltip)
    # The values come first: a first layer without the ordinal x would leave the chart
    # with no height in the browser (Vega-Lite sizes the view from the first layer's x).
    layers: list[alt.Chart] = [
        base.mark_line(strokeWidth=2, color=MEASURED),
        base.mark_point(filled=True, size=40, color=MEASURED),
    ]
    for _, line in references.iterrows():
        layers.append(
            alt.Chart(pd.DataFrame([line]))
            .mark_rule(color=TARGET, strokeDash=[4, 3], opacity=0.8)
            .encode(y=alt.Y("Valeur:Q", scale=y_scale), tooltip=[alt.Tooltip("Libellé:N")])
        )
    return in_french(alt.layer(*layers).properties(width=width, height=height))  # type: ignore[return-value]


def describe(series: IndicatorSeries) -> str:
    """A sentence that says what the sparkline shows (alt text; the status is written beside
    it by the pages, `series.status.text`)."""
    unit = f" {series.unit}" if series.unit else ""
    drawable = series.drawable
    if drawable.empty:
        return f"{series.name} : aucune valeur mesurée."
    first, last = drawable.iloc[0], drawable.iloc[-1]
    text = (
        f"{series.name} : {formats.number(first['value'], 1)}{unit} en {int(first['year'])}, "
        f"{formats.number(last['value'], 1)}{unit} en {int(last['year'])}"
    )
    if series.target_value is not None:
        text += f" ; cible {formats.number(series.target_value, 1)}{unit}"
        if series.target_year:
            text += f" en {series.target_year}"
    return text + "."


# --- territories compared --------------------------------------------------------------------


def territory_label(row: ComparedTerritory) -> str:
    """« ★ CARENE » for the viewer's territory, « Clisson (commune) » for a commune."""
    name = f"{row.name} (commune)" if row.kind is TerritoryKind.commune else row.name
    return f"★ {name}" if row.highlighted else name


def comparison_data(comparison: Comparison) -> pd.DataFrame:
    """One row per territory, best first, with its rank, its French label and whether it is
    the viewer's (written « ★ », not only coloured)."""
    rows = comparison.rows
    return pd.DataFrame(
        {
            "Rang": [r.rank for r in rows],
            "Territoire": [territory_label(r) for r in rows],
            "Valeur": [r.value for r in rows],
            "Libellé": [value_text(r.value, comparison.measure, comparison.unit) for r in rows],
            "Étiquette": [value_text(r.value, comparison.measure) for r in rows],
            "Repère": ["Votre territoire" if r.highlighted else "Autre territoire" for r in rows],
            "Source": [r.source for r in rows],
        },
        columns=["Rang", "Territoire", "Valeur", "Libellé", "Étiquette", "Repère", "Source"],
    )


def comparison_chart(comparison: Comparison, *, width: int = 520) -> alt.LayerChart:
    """A ranked bar per territory, the département's value as a labelled vertical line,
    the viewer's territory in another colour and marked « ★ »."""
    data = comparison_data(comparison)
    order = list(data["Territoire"])
    values = [
        *data["Valeur"],
        *([comparison.departement_value] if comparison.departement_value is not None else []),
    ]
    high = max([v for v in values if math.isfinite(v)] or [1.0])
    x_scale = alt.Scale(
        domain=[min(0.0, *values) if values else 0.0, high * 1.12 or 1.0], nice=False
    )
    x = alt.X(
        "Valeur:Q",
        scale=x_scale,
        axis=alt.Axis(title=comparison.unit or "valeur", format=NUMBER_FORMAT, tickCount=5),
    )
    y = alt.Y("Territoire:N", sort=order, axis=alt.Axis(title=None, labelLimit=320))
    colour = alt.Color(
        "Repère:N",
        scale=alt.Scale(domain=["Votre territoire", "Autre territoire"], range=[YOURS, OTHERS]),
        legend=alt.Legend(title=None, orient="top"),
    )
    tooltip = [
        alt.Tooltip("Rang:Q", title="Rang"),
        alt.Tooltip("Territoire:N"),
        alt.Tooltip("Libellé:N", title=f"Valeur {comparison.year}"),
        alt.Tooltip("Source:N"),
    ]
    base = alt.Chart(data).encode(x=x, y=y, tooltip=tooltip)
    layers: list[alt.Chart] = [
        base.mark_bar(height={"band": 0.75}).encode(color=colour),
        base.mark_text(align="left", dx=4, color=INK, fontSize=11).encode(text="Étiquette:N"),
    ]
    if comparison.departement_value is not None:
        label = (
            f"Département ({comparison.departement}) : "
            f"{value_text(comparison.departement_value, comparison.measure, comparison.unit)}"
        )
        line = pd.DataFrame({"Valeur": [comparison.departement_value], "Libellé": [label]})
        layers += [
            alt.Chart(line)
            .mark_rule(color=TARGET, strokeDash=[6, 4], strokeWidth=2)
            .encode(x=alt.X("Valeur:Q", scale=x_scale), tooltip=[alt.Tooltip("Libellé:N")]),
            alt.Chart(line)
            .mark_text(align="left", baseline="top", dx=4, dy=-14, color=TARGET, fontWeight="bold")
            .encode(x=alt.X("Valeur:Q", scale=x_scale), y=alt.value(0), text="Libellé:N"),
        ]
    # One 24-pixel step per territory: every name readable, whatever their number.
    chart = alt.layer(*layers).properties(width=width, height=alt.Step(24))
    return in_french(chart)  # type: ignore[return-value]
