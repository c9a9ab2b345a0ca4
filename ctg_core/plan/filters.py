"""What the user narrowed the plan d'actions to, applied to an `actions_frame`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class PlanFilters:
    """What the user narrowed the plan to. Empty sets mean « tous ».

    Kinds of filter combine with AND. Within the pilote filter, chosen leads and
    `without_lead` combine with OR (« Mairie ou sans pilote »).
    """

    axis_ids: frozenset[int] = frozenset()
    statuses: frozenset[str] = frozenset()
    leads: frozenset[str] = frozenset()
    without_lead: bool = False
    late_only: bool = False
    vigilance_only: bool = False

    @property
    def active(self) -> bool:
        return bool(
            self.axis_ids
            or self.statuses
            or self.leads
            or self.without_lead
            or self.late_only
            or self.vigilance_only
        )


def filter_actions(actions: pd.DataFrame, filters: PlanFilters) -> pd.DataFrame:
    """Rows of an `actions_frame` that pass `filters`, in their original order."""
    keep = pd.Series(True, index=actions.index)
    if filters.axis_ids:
        keep &= actions["axis_id"].isin(filters.axis_ids)
    if filters.statuses:
        keep &= actions["status"].isin(filters.statuses)
    if filters.leads or filters.without_lead:
        lead = actions["lead"].fillna("").str.strip()
        by_lead = lead.isin(filters.leads)
        if filters.without_lead:
            by_lead |= lead == ""
        keep &= by_lead
    if filters.late_only:
        keep &= actions["late"].astype(bool)
    if filters.vigilance_only:
        keep &= actions["vigilance"].fillna("").str.strip() != ""
    return actions[keep]


def leads(actions: pd.DataFrame) -> list[str]:
    """Distinct non-empty pilotes of a plan, alphabetical (case-insensitive)."""
    names = {str(v).strip() for v in actions["lead"].fillna("") if str(v).strip()}
    return sorted(names, key=str.casefold)
