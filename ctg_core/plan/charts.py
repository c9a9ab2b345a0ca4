"""Altair charts built from query results (no database access, no streamlit).

Status is never told by colour alone: every segment carries its count as text, every bar
its total and its number of late actions, and the palette (after Okabe & Ito) stays
distinguishable for the common colour-vision deficiencies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import altair as alt
import pandas as pd

from ctg_core.common.models import ActionStatus
from ctg_core.plan.queries import AxisStatus

DARK = "#1B1F24"  # near-black ink, 16:1 on white (the theme's text is #0E1116)

# Fill and the text colour that reads on it (contrast ≥ 4.5:1).
STATUS_COLOURS: dict[ActionStatus, tuple[str, str]] = {
    ActionStatus.a_venir: ("#C9CED6", DARK),
    ActionStatus.en_cours: ("#0072B2", "#FFFFFF"),
    ActionStatus.realisee: ("#009E73", "#000000"),
    ActionStatus.suspendue: ("#E69F00", "#000000"),
    ActionStatus.abandonnee: ("#CC79A7", "#000000"),
}
LATE_COLOUR = "#B3261E"
AXIS_SELECTION = "axe"

FRENCH_LOCALE = {
    "number": {
        "decimal": ",",
        "thousands": "\u202f",
        "grouping": [3],
        "currency": ["", "\u00a0€"],
    },
    "time": {
        "dateTime": "%A %e %B %Y à %X",
        "date": "%d/%m/%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        "shortMonths": [
            "janv.",
            "févr.",
            "mars",
            "avr.",
            "mai",
            "juin",
            "juil.",
            "août",
            "sept.",
            "oct.",
            "nov.",
            "déc.",
        ],
    },
}


def _status_scale() -> alt.Scale:
    return alt.Scale(
        domain=[s.label for s in ActionStatus],
        range=[STATUS_COLOURS[s][0] for s in ActionStatus],
    )


def in_french(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """French number and date formats (1 234,5 ; janv. 2027) in axes and tooltips, and no
    Vega action menu (its « Download as PNG », « Copy Vega-Lite spec »… are English only)."""
    return chart.configure(locale=FRENCH_LOCALE).properties(
        usermeta={"embedOptions": {"actions": False}}
    )


# --- per-axis status ----------------------------------------------------------------------


def status_segments(statuses: Sequence[AxisStatus], selected: Iterable[int] = ()) -> pd.DataFrame:
    """One row per (axis, statut) with a non-zero count, with the segment's extent.

    `in_selection` is False for axes outside a non-empty `selected` (they are drawn faded).
    """
    chosen = set(selected)
    rows = []
    for axis_order, status in enumerate(statuses):
        start = 0
        for status_order, value in enumerate(ActionStatus):
            count = status.by_status.get(value, 0)
            if not count:
                continue
            # On a faded segment the light ink would vanish: dark text there.
            ink = STATUS_COLOURS[value][1] if not chosen or status.axis_id in chosen else DARK
            rows.append(
                {
                    "axis_id": status.axis_id,
                    "axis": status.axis,
                    "axis_order": axis_order,
                    "status": value.value,
                    "status_label": value.label,
                    "status_order": status_order,
                    "count": count,
                    "start": start,
                    "end": start + count,
                    "middle": start + count / 2,
                    "ink": ink,
                    "in_selection": not chosen or status.axis_id in chosen,
                }
            )
            start += count
    return pd.DataFrame(
        rows,
        columns=[
            "axis_id",
            "axis",
            "axis_order",
            "status",
            "status_label",
            "status_order",
            "count",
            "start",
            "end",
            "middle",
            "ink",
            "in_selection",
        ],
    )


def axis_totals(statuses: Sequence[AxisStatus]) -> pd.DataFrame:
    """The label written after each bar: « 5 actions · 2 en retard »."""
    rows = []
    for status in statuses:
        text = f"{status.total} action{'s' if status.total > 1 else ''}"
        if status.late:
            text += f" · {status.late} en retard"
        rows.append(
            {"axis_id": status.axis_id, "axis": status.axis, "total": status.total, "text": text}
        )
    return pd.DataFrame(rows, columns=["axis_id", "axis", "total", "text"])


def axis_status_chart(
    statuses: Sequence[AxisStatus], selected: Iterable[int] = ()
) -> alt.TopLevelMixin:
    """Stacked horizontal bars of actions by statut per axis; a click selects an axis.

    The click is a point selection named `AXIS_SELECTION` on the field ``axis_id``
    (``st.altair_chart(on_select=...)`` reports it).
    """
    segments = status_segments(statuses, selected)
    totals = axis_totals(statuses)
    order = [s.axis for s in statuses]
    widest = max((s.total for s in statuses), default=1) or 1
    step = -(-widest // 10)  # at most about ten ticks
    y = alt.Y(
        "axis:N",
        sort=order,
        title=None,
        scale=alt.Scale(paddingInner=0.3),
        axis=alt.Axis(labelLimit=280, labelOverlap=False, labelFontSize=13),
    )
    pick = alt.selection_point(name=AXIS_SELECTION, fields=["axis_id"], on="click")
    bars = (
        alt.Chart(segments)
        .mark_bar(stroke="#FFFFFF", strokeWidth=1, cursor="pointer")
        .encode(
            y=y,
            x=alt.X(
                "start:Q",
                title="Nombre d'actions",
                # Room on the right for « 8 actions · 1 en retard ».
                scale=alt.Scale(domain=[0, widest * 1.45], nice=False),
                axis=alt.Axis(values=list(range(0, widest + 1, step)), format="d"),
            ),
            x2="end:Q",
            color=alt.Color(
                "status_label:N",
                scale=_status_scale(),
                legend=alt.Legend(title="Statut", orient="bottom", direction="horizontal"),
            ),
            opacity=alt.condition("datum.in_selection", alt.value(1.0), alt.value(0.3)),
            tooltip=[
                alt.Tooltip("axis:N", title="Axe"),
                alt.Tooltip("status_label:N", title="Statut"),
                alt.Tooltip("count:Q", title="Actions"),
            ],
        )
        .add_params(pick)
    )
    counts = (
        alt.Chart(segments)
        .mark_text(fontWeight="bold", fontSize=13)
        .encode(
            y=y,
            x="middle:Q",
            text="count:Q",
            color=alt.Color("ink:N", scale=None),
        )
    )
    ends = (
        alt.Chart(totals)
        .mark_text(align="left", dx=6, fontSize=13, color=DARK)
        .encode(y=y, x="total:Q", text="text:N")
    )
    chart = alt.layer(bars, counts, ends).properties(height=alt.Step(36))
    return in_french(chart)


# --- timeline -----------------------------------------------------------------------------


def timeline_chart(rows: pd.DataFrame, today: date) -> alt.TopLevelMixin:
    """Gantt-like bars start → due, one row of bars per axis, today's line, late marks.

    `rows` is `plan.timeline_rows(...)`. A late action carries the text « ⚠ en retard »
    after its due date and a dark red outline.
    """
    data = rows.assign(
        late_text=rows["late"].map({True: "⚠ en retard", False: ""}),
        today=pd.Timestamp(today),
    )
    order = data.sort_values(["axis_order", "row_order"])["label"].tolist() if len(data) else []
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    tooltip = [
        alt.Tooltip("code:N", title="Code"),
        alt.Tooltip("label:N", title="Action"),
        alt.Tooltip("status_label:N", title="Statut"),
        alt.Tooltip("progress:Q", title="Avancement (%)"),
        alt.Tooltip("start:T", title="Début", format="%d/%m/%Y"),
        alt.Tooltip("due:T", title="Échéance", format="%d/%m/%Y"),
    ]
    base = alt.Chart()
    bars = base.mark_bar(height={"band": 0.7}, cornerRadius=2).encode(
        y=y,
        x=alt.X("start:T", title=None, axis=alt.Axis(format="%m/%Y", grid=True, labelFontSize=11)),
        x2="due:T",
        color=alt.Color(
            "status_label:N",
            scale=_status_scale(),
            legend=alt.Legend(title="Statut", orient="bottom", direction="horizontal"),
        ),
        stroke=alt.condition("datum.late", alt.value(LATE_COLOUR), alt.value(None)),
        strokeWidth=alt.condition("datum.late", alt.value(2.5), alt.value(0)),
        tooltip=tooltip,
    )
    due_marks = base.mark_point(shape="diamond", filled=True, size=60, color=DARK).encode(
        y=y, x="due:T", tooltip=tooltip
    )
    late_marks = (
        base.transform_filter("datum.late")
        .mark_text(align="left", dx=8, fontWeight="bold", color=LATE_COLOUR)
        .encode(y=y, x="due:T", text="late_text:N")
    )
    today_line = base.mark_rule(color=DARK, strokeDash=[6, 4], strokeWidth=2).encode(x="today:T")
    chart = (
        alt.layer(bars, due_marks, late_marks, today_line, data=data)
        .properties(height=alt.Step(24), width=640)
        .facet(
            row=alt.Row(
                "axis:N",
                sort=list(pd.unique(data.sort_values("axis_order")["axis"])) if len(data) else [],
                title=None,
                header=alt.Header(
                    labelAngle=0,
                    labelAlign="left",
                    labelFontWeight="bold",
                    labelFontSize=13,
                    labelOrient="top",
                    labelAnchor="start",
                    labelPadding=6,
                ),
            ),
            spacing=14,
        )
        .resolve_scale(y="independent")
        # Dates under every axis group, not only under the last one.
        .resolve_axis(x="independent")
    )
    return in_french(chart)
