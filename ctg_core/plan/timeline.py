"""The Gantt-like calendar of the plan: one bar per dated action, grouped by axis."""

from __future__ import annotations

import pandas as pd

from ctg_core.common.history import shorten

TIMELINE_COLUMNS = [
    "id",
    "code",
    "label",
    "axis_id",
    "axis",
    "axis_order",
    "row_order",
    "start",
    "due",
    "status",
    "status_label",
    "progress",
    "late",
]


def timeline_rows(actions: pd.DataFrame) -> pd.DataFrame:
    """One bar per dated action (start → due) for the Gantt-like timeline, grouped by axis.

    An action with only one of its dates becomes a single day; one with neither is left
    out (see `undated_count`).
    """
    dated = actions[actions["starts_on"].notna() | actions["due_on"].notna()]
    axis_order = {axis_id: i for i, axis_id in enumerate(pd.unique(actions["axis_id"]))}
    rows = []
    for row_order, action in enumerate(dated.itertuples(index=False)):
        start = action.starts_on if pd.notna(action.starts_on) else action.due_on
        due = action.due_on if pd.notna(action.due_on) else action.starts_on
        rows.append(
            {
                "id": int(action.id),
                "code": action.code,
                "label": f"{action.code} · {shorten(action.title)}",
                "axis_id": int(action.axis_id),
                "axis": action.axis,
                "axis_order": axis_order[action.axis_id],
                "row_order": row_order,
                "start": pd.Timestamp(start),
                "due": pd.Timestamp(due),
                "status": action.status,
                "status_label": action.status_label,
                "progress": int(action.progress),
                "late": bool(action.late),
            }
        )
    return pd.DataFrame(rows, columns=TIMELINE_COLUMNS)


def undated_count(actions: pd.DataFrame) -> int:
    return int((actions["starts_on"].isna() & actions["due_on"].isna()).sum())
