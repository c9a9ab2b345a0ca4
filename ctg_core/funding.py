"""Funding of cooperation-officer posts: the yearly rule and the entitlement (droit)."""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlmodel import Session

from ctg_core import config
from ctg_core.models import FundingRule

CENT = Decimal("0.01")


def entitlement(fte: Decimal, eligible_cost: Decimal, rule: FundingRule) -> Decimal:
    """Droit: the Caf rate applied to the eligible cost, capped at the ceiling per ETP."""
    share = eligible_cost * rule.rate
    cap = rule.ceiling_per_fte * fte
    return min(share, cap).quantize(CENT, rounding=ROUND_HALF_UP)


def load_funding_rules(session: Session, path: Path | None = None) -> int:
    """Insert the yearly rules of `data/funding_rules.csv` that the database lacks."""
    source = path or config.DATA_DIR / "funding_rules.csv"
    added = 0
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            year = int(row["year"])
            if session.get(FundingRule, year) is None:
                session.add(
                    FundingRule(
                        year=year,
                        rate=Decimal(row["rate"]),
                        ceiling_per_fte=Decimal(row["ceiling_per_fte"]),
                        notes=row["notes"],
                    )
                )
                added += 1
    session.commit()
    return added
