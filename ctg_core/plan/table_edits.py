"""What the user changed in the officer's editable table, row by row, ready for
`plan.commands.update_actions`."""

from __future__ import annotations

import enum
import math
from typing import Any

import pandas as pd

from ctg_core.plan.commands import QUICK_FIELDS, RowChange

EDITABLE_FIELDS = QUICK_FIELDS


def _cell(value: Any) -> Any:
    """A table cell as a plain Python value (None for a cleared cell)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):  # numpy scalar
        return _cell(value.item())
    if isinstance(value, enum.Enum):
        return value.value
    return value


def changes_between(original: pd.DataFrame, edited: pd.DataFrame) -> list[RowChange]:
    """Rows whose editable cells differ, each with the version it was loaded with.

    Both tables are indexed by action id (the editor's stable key). A cleared text cell
    counts as the empty text; a cleared avancement is sent as missing, and refused.
    """
    result = []
    for action_id, row in original.iterrows():
        if action_id not in edited.index:
            continue
        new_row = edited.loc[action_id]
        change: dict[str, Any] = {}
        for name in EDITABLE_FIELDS:
            if name not in edited.columns:
                continue
            old, new = _cell(row[name]), _cell(new_row[name])
            if name in {"last_comment", "vigilance"}:
                old, new = old or "", new or ""
            if old != new:
                change[name] = new
        if change:
            result.append(RowChange(int(action_id), int(row["version"]), change))  # type: ignore[arg-type]
    return result
