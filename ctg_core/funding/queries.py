"""Nouns of the funding of cooperation-officer posts: the year's lines, scoped to the user."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import (
    CooperationPost,
    FundingRule,
    PostFunding,
    RenewalStatus,
    Territory,
)

FUNDING_COLUMNS = [
    "id",
    "version",
    "territory",
    "officer",
    "year",
    "fte",
    "eligible_cost",
    "rate",
    "ceiling_per_fte",
    "entitlement",
    "renewal_status",
    "renewal_label",
    "renewal_due_on",
    "renewal_received_on",
    "renewal_signed_on",
    "advance_amount",
    "advance_paid_on",
    "balance_amount",
    "balance_paid_on",
    "advance_blocked",
]


def advance_blocked(status: RenewalStatus, due_on: date | None, today: date) -> bool:
    """A renewal not signed by its due date blocks the acompte: an alert."""
    return status is not RenewalStatus.signee and due_on is not None and due_on < today


def funding_lines(session: Session, user: CurrentUser, year: int, today: date) -> pd.DataFrame:
    """One row per cooperation post funded in `year`, within the user's territories, read
    as plain rows (a national year holds over a thousand lines)."""
    query = (
        select(
            PostFunding.id,
            PostFunding.version,
            Territory.name,
            CooperationPost.officer_name,
            PostFunding.year,
            PostFunding.fte,
            PostFunding.eligible_cost,
            FundingRule.rate,
            FundingRule.ceiling_per_fte,
            PostFunding.entitlement,
            PostFunding.renewal_status,
            PostFunding.renewal_due_on,
            PostFunding.renewal_received_on,
            PostFunding.renewal_signed_on,
            PostFunding.advance_amount,
            PostFunding.advance_paid_on,
            PostFunding.balance_amount,
            PostFunding.balance_paid_on,
        )
        .join(CooperationPost, CooperationPost.id == PostFunding.post_id)  # type: ignore[arg-type]
        .join(Territory, Territory.id == CooperationPost.territory_id)  # type: ignore[arg-type]
        .join(FundingRule, FundingRule.year == PostFunding.year, isouter=True)  # type: ignore[arg-type]
        .where(PostFunding.year == year)
        .order_by(Territory.name)
    )
    if not user.reads_everything:
        query = query.where(Territory.id.in_(user.territory_ids or {-1}))  # type: ignore[union-attr]
    rows = []
    for line in session.exec(query):
        rows.append(
            {
                "id": line.id,
                "version": line.version,
                "territory": line.name,
                "officer": line.officer_name,
                "year": line.year,
                "fte": float(line.fte),
                "eligible_cost": float(line.eligible_cost),
                "rate": _float(line.rate),
                "ceiling_per_fte": _float(line.ceiling_per_fte),
                "entitlement": float(line.entitlement),
                "renewal_status": line.renewal_status.value,
                "renewal_label": line.renewal_status.label,
                "renewal_due_on": line.renewal_due_on,
                "renewal_received_on": line.renewal_received_on,
                "renewal_signed_on": line.renewal_signed_on,
                "advance_amount": _float(line.advance_amount),
                "advance_paid_on": line.advance_paid_on,
                "balance_amount": _float(line.balance_amount),
                "balance_paid_on": line.balance_paid_on,
                "advance_blocked": advance_blocked(line.renewal_status, line.renewal_due_on, today),
            }
        )
    return pd.DataFrame(rows, columns=FUNDING_COLUMNS)


def funding_years(session: Session) -> list[int]:
    return sorted(set(session.exec(select(PostFunding.year))), reverse=True)


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None
