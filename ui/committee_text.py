"""French words, symbols and small display helpers shared by the Comité and Mes actions
pages. Status always comes with a symbol and a word, never colour alone; user text shown
through Markdown is escaped so it stays text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ctg_core import formats
from ctg_core.errors import ConflictInfo
from ctg_core.validation import FIELD_LABELS
from ui.form_feedback import flash as flash  # re-exported for the committee views
from ui.form_feedback import show_flash as show_flash
from ui.plain_text import md as md
from ui.plan_labels import LATE_TEXT as LATE_TEXT
from ui.plan_labels import STATUS_SYMBOLS as STATUS_SYMBOLS
from ui.plan_labels import status_text

REASON_SYMBOLS = {
    "late": "⚠",
    "vigilance": "⚑",
    "due_soon": "◷",
    "changed": "✎",
    "manual": "＋",
}


def value_text(field: str, value: Any) -> str:
    """A stored value as a French reader expects it."""
    if value is None or value == "":
        return "(vide)"
    if field == "status":
        return status_text(value)
    if field == "progress":
        return f"{value} %"
    return str(value)


def change_text(field: str, old: Any, new: Any) -> str:
    """« Avancement : 20 % → 60 % »."""
    label = FIELD_LABELS.get(field, field)
    return f"{label} : {value_text(field, old)} → {value_text(field, new)}"


def conflict_text(info: ConflictInfo) -> str:
    """« Yann a enregistré le 25/11/2026 14:05 : Avancement = 50 % »."""
    who = info.changed_by or "Une autre personne"
    when = f" le {formats.moment(local(info.changed_at))}" if info.changed_at else ""
    values = " ; ".join(
        f"{FIELD_LABELS.get(k, k)} = {value_text(k, getattr(v, 'value', v))}"
        for k, v in info.current_values.items()
    )
    return f"{who} a enregistré{when} : {values}" if values else f"{who} a enregistré{when}."


def local(moment: datetime | None) -> datetime | None:
    """A stored (UTC) moment in the users' time zone, for display."""
    return formats.local_time(moment) if moment is not None else None
