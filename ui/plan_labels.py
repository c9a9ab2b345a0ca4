"""French words and symbols of the plan d'actions shared by the convention page and its
forms. Status always comes with a symbol and a word, never colour alone."""

from __future__ import annotations

from ctg_core.common.models import ActionStatus

STATUS_SYMBOLS: dict[ActionStatus, str] = {
    ActionStatus.a_venir: "○",
    ActionStatus.en_cours: "◐",
    ActionStatus.realisee: "✓",
    ActionStatus.suspendue: "‖",
    ActionStatus.abandonnee: "✕",
}
LATE_TEXT = "⚠ En retard"
VIGILANCE_TEXT = "⚑ Vigilance"
NO_LEAD_TEXT = "(sans pilote)"


def status_text(status: ActionStatus | str | None) -> str:
    """« ◐ En cours » (empty for no status)."""
    if status is None or status == "":
        return ""
    value = ActionStatus(status)
    return f"{STATUS_SYMBOLS[value]} {value.label}"
