"""French words, symbols and small display helpers shared by the Comité and Mes actions
pages. Status always comes with a symbol and a word, never colour alone; user text shown
through Markdown is escaped so it stays text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from ctg_core import formats
from ctg_core.errors import ConflictInfo
from ctg_core.validation import FIELD_LABELS
from ui.plain_text import md as md  # re-exported for the committee views
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
PARIS = ZoneInfo("Europe/Paris")
_FLASH_KEY = "committee_flash"


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
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS)


def flash(message: str) -> None:
    """A toast for the next run: a toast sent right before a rerun is lost."""
    st.session_state.setdefault(_FLASH_KEY, []).append(message)


def show_flash() -> None:
    for message in st.session_state.pop(_FLASH_KEY, []):
        st.toast(message, icon=":material/check_circle:")
