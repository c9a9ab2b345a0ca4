"""French words, symbols and small display helpers shared by the Comité and Mes actions
pages. Status always comes with a symbol and a word, never colour alone; user text shown
through Markdown is escaped so it stays text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from ctg_core import formats
from ctg_core.errors import ConflictInfo
from ctg_core.models import ActionStatus
from ctg_core.validation import FIELD_LABELS

STATUS_SYMBOLS: dict[ActionStatus, str] = {
    ActionStatus.a_venir: "○",
    ActionStatus.en_cours: "◐",
    ActionStatus.realisee: "✓",
    ActionStatus.suspendue: "‖",
    ActionStatus.abandonnee: "✕",
}
REASON_SYMBOLS = {
    "late": "⚠",
    "vigilance": "⚑",
    "due_soon": "◷",
    "changed": "✎",
    "manual": "＋",
}
LATE_TEXT = "⚠ En retard"
PARIS = ZoneInfo("Europe/Paris")
_FLASH_KEY = "committee_flash"
# Markdown and Streamlit's own extensions (:icons:, $maths$, :color[text]).
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=])")


def md(text: object) -> str:
    """User text escaped for `st.markdown`; line breaks kept."""
    lines = str(text).splitlines() or [""]
    return "  \n".join(_MARKDOWN_SPECIALS.sub(r"\\\1", line) for line in lines)


def status_text(status: ActionStatus | str | None) -> str:
    """« ◐ En cours »."""
    if status is None or status == "":
        return ""
    value = ActionStatus(status)
    return f"{STATUS_SYMBOLS[value]} {value.label}"


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
