"""The Caf-wide chart of post funding over the years (Altair, from `queries.caf_view`).

Each series is named in the legend and in the tooltip, and every bar carries its amount in
euros: nothing is told by colour alone. The palette is Okabe & Ito's.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ctg_core.common import formats
from ctg_core.funding.queries import TOTAL
from ctg_core.plan.charts import DARK, in_french

SERIES = {
    "entitlements": ("Droits", "#0072B2"),
    "advances_paid": ("Acomptes versés", "#56B4E9"),
    "balances_settled": ("Soldes réglés (net)", "#009E73"),
    "balances_due": ("Soldes à verser", "#E69F00"),
    "to_recover": ("Sommes à récupérer", "#CC79A7"),
}


def yearly_amounts(view: pd.DataFrame) -> pd.DataFrame:
    """One row per (year, series) from the « Total » rows of the Caf-wide view."""
    totals = view[view["epci"] == TOTAL]
    rows = []
    for _, total in totals.iterrows():
        for order, (column, (label, _colour)) in enumerate(SERIES.items()):
            amount = float(total[column])
            rows.append(
                {
                    "year": str(int(total["year"])),
                    "series": label,
                    "order": order,
                    "amount": amount,
                    "text": formats.euros(round(amount)).replace(",00", ""),
                }
            )
    return pd.DataFrame(rows, columns=["year", "series", "order", "amount", "text"])


def yearly_chart(view: pd.DataFrame, *, width: int = 720) -> alt.TopLevelMixin:
    """Grouped bars per year: droits, acomptes paid, soldes settled, due and to recover."""
    data = yearly_amounts(view)
    labels = [label for label, _ in SERIES.values()]
    colour = alt.Color(
        "series:N",
        scale=alt.Scale(domain=labels, range=[c for _, c in SERIES.values()]),
        sort=labels,
        legend=alt.Legend(title=None, orient="bottom", direction="horizontal", columns=3),
    )
    base = alt.Chart(data).encode(
        x=alt.X("year:N", title=None, axis=alt.Axis(labelAngle=0, labelFontSize=13)),
        xOffset=alt.XOffset("series:N", sort=labels),
        y=alt.Y("amount:Q", title=None, axis=alt.Axis(format="$,.0f")),
        tooltip=[
            alt.Tooltip("year:N", title="Année"),
            alt.Tooltip("series:N", title="Montant"),
            alt.Tooltip("text:N", title="Total"),
        ],
    )
    bars = base.mark_bar().encode(color=colour)
    amounts = (
        base.transform_filter("datum.amount != 0")
        .mark_text(angle=270, align="left", dx=4, fontSize=10, color=DARK)
        .encode(text="text:N")
    )
    return in_french((bars + amounts).properties(width=width, height=320))
