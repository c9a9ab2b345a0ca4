"""The yearly funding rules shipped in `data/funding_rules.csv` (reference data): rate,
ceiling per ETP, acompte share and renewal window of each year. Later changes go through
the admin's commands (`funding.commands.save_rule`, `correct_rule`)."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session

from ctg_core.common import config
from ctg_core.common.models import FundingRule


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
                        advance_share=Decimal(row["advance_share"]),
                        renewal_opens_on=date.fromisoformat(row["renewal_opens_on"]),
                        renewal_due_on=date.fromisoformat(row["renewal_due_on"]),
                        notes=row["notes"],
                    )
                )
                added += 1
    session.commit()
    return added
