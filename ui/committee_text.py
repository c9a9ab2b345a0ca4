"""French words and symbols shared by the Comité and Mes actions pages. Status always
comes with a symbol and a word, never colour alone."""

from __future__ import annotations

from ctg_core.common import formats
from ctg_core.common.errors import ConflictInfo
from ctg_core.common.history import json_value, readable_value
from ctg_core.common.labels import field_label

REASON_SYMBOLS = {
    "late": "⚠",
    "vigilance": "⚑",
    "due_soon": "◷",
    "changed": "✎",
    "manual": "+",
    "parked": "↻",
}


def conflict_text(info: ConflictInfo) -> str:
    """« Yann a enregistré le 25/11/2026 14:05 : Avancement = 50 % »."""
    who = info.changed_by or "Une autre personne"
    when = f" le {formats.moment(info.changed_at)}" if info.changed_at else ""
    values = " ; ".join(
        f"{field_label(k)} = {readable_value(k, json_value(v))}"
        for k, v in info.current_values.items()
    )
    return f"{who} a enregistré{when} : {values}" if values else f"{who} a enregistré{when}."
