"""The funding rule of a cooperation-officer post: how the droit (entitlement) is computed
from the year's `FundingRule` (pure functions)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ctg_core.common.models import FundingRule

CENT = Decimal("0.01")


def entitlement(fte: Decimal, eligible_cost: Decimal, rule: FundingRule) -> Decimal:
    """Droit: the Caf rate applied to the eligible cost, capped at the ceiling per ETP."""
    share = eligible_cost * rule.rate
    cap = rule.ceiling_per_fte * fte
    return min(share, cap).quantize(CENT, rounding=ROUND_HALF_UP)
