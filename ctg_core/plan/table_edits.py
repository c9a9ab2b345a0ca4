"""What the user changed in the officer's editable table, row by row, ready for
`plan.commands.update_actions`.

The page keeps only the user's input (`PendingEdit`, keyed by action id), never the table:
`merge_editor_rows` folds what the table widget reports into it, and `changes_between`
compares that input with the stored rows, column by column, for the edited rows only.
Avancement is typed as text and sent as typed: the core reads it by the French number rule
(« 42 % » is 42; « 42,5 » and 150 are refused with a French sentence), nothing is clamped.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from ctg_core.common.validation import french_number
from ctg_core.plan.commands import QUICK_FIELDS, Outcome, RowChange

EDITABLE_FIELDS = QUICK_FIELDS
TEXT_FIELDS = frozenset({"last_comment", "vigilance"})


@dataclass
class PendingEdit:
    """The user's input for one action: the version they saw when they typed it (None: the
    version shown next, after a save reported a conflict), the values they typed, and the
    outcome of the last save that refused it."""

    version: int | None
    values: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome | None = None


def merge_editor_rows(
    edits: dict[int, PendingEdit],
    edited_rows: Mapping[Any, Mapping[str, Any]],
    shown: Sequence[tuple[int, int]],
) -> None:
    """Fold the table widget's edited cells (by row position) into `edits` (by action id).

    `shown` holds the (action id, version) of each row as the widget drew them: an action
    keeps the version seen when it was first edited, so that a colleague's save in between
    is reported as a conflict rather than overwritten.
    """
    for position, cells in edited_rows.items():
        index = int(position)
        if not 0 <= index < len(shown):
            continue
        action_id, version = shown[index]
        typed = {name: _cell(value) for name, value in cells.items() if name in EDITABLE_FIELDS}
        if not typed:
            continue
        edit = edits.setdefault(action_id, PendingEdit(version))
        edit.values.update(typed)


def changes_between(original: pd.DataFrame, edited: pd.DataFrame) -> list[RowChange]:
    """Rows whose editable cells differ, each with the version it was loaded with.

    Both tables are indexed by action id; `original` holds the stored values and the
    version to send, `edited` the values as typed (only its rows and editable columns are
    compared). A cleared text cell counts as the empty text; a cleared avancement is sent
    as missing, and refused; an avancement typed « 40 % » where 40 is stored is no change.
    """
    ids = original.index.intersection(edited.index)
    fields = [name for name in EDITABLE_FIELDS if name in edited.columns]
    if ids.empty or not fields:
        return []
    before = pd.DataFrame({name: _comparable(name, original.loc[ids, name]) for name in fields})
    after = pd.DataFrame({name: _comparable(name, edited.loc[ids, name]) for name in fields})
    differs = before.ne(after)
    changed = differs.any(axis=1)
    result = []
    for action_id in ids[changed.to_numpy()]:
        change = {
            name: _sent(name, edited.at[action_id, name])
            for name in fields
            if differs.at[action_id, name]
        }
        result.append(RowChange(int(action_id), int(original.at[action_id, "version"]), change))
    return result


def _comparable(name: str, column: pd.Series) -> pd.Series:
    """One column as comparable text: what the core would store, or the raw input when the
    core would refuse it (then it differs from any stored value, and is sent)."""
    if name == "progress":
        return column.map(_progress_key)
    if name in TEXT_FIELDS:
        return column.map(lambda v: "" if _cell(v) is None else str(_cell(v)))
    return column.map(lambda v: "" if _cell(v) is None else str(_cell(v)))


def progress_as_read(value: Any) -> int | str | None:
    """Avancement as typed, read by the French number rule where it reads as a whole number
    (« 40 % » → 40); anything else is returned as typed, for the core to refuse."""
    value = _cell(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(french_number(value)))
    except InvalidOperation:
        return value
    if number.is_finite() and number == number.to_integral_value():
        return int(number)
    return value


def _progress_key(value: Any) -> str:
    read = progress_as_read(value)
    if read is None:
        return ""
    return str(read) if isinstance(read, int) else f"typed:{read}"


def _sent(name: str, value: Any) -> Any:
    value = _cell(value)
    if name in TEXT_FIELDS:
        return value or ""
    if name == "progress" and isinstance(value, str) and not value.strip():
        return None
    return value


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
