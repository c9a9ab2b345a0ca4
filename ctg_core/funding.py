"""Funding of cooperation-officer posts: the yearly rule and the entitlement (droit)."""

from __future__ import annotations

import csv
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated

import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlmodel import Session, select

from ctg_core import config
from ctg_core.auth import CurrentUser
from ctg_core.errors import ValidationFailed, require
from ctg_core.models import CooperationPost, FundingRule, PostFunding, RenewalStatus, Territory
from ctg_core.services import diff, get_or_404, log_change, versioned_update
from ctg_core.validation import Money, french_number, validated

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


# --- reads --------------------------------------------------------------------------------

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
    """One row per cooperation post funded in `year`, within the user's territories."""
    query = (
        select(PostFunding, CooperationPost, Territory, FundingRule)
        .join(CooperationPost, CooperationPost.id == PostFunding.post_id)
        .join(Territory, Territory.id == CooperationPost.territory_id)
        .join(FundingRule, FundingRule.year == PostFunding.year, isouter=True)
        .where(PostFunding.year == year)
        .order_by(Territory.name)
    )
    if not user.reads_everything:
        query = query.where(Territory.id.in_(user.territory_ids or {-1}))  # type: ignore[union-attr]
    rows = []
    for line, post, territory, rule in session.exec(query):
        rows.append(
            {
                "id": line.id,
                "version": line.version,
                "territory": territory.name,
                "officer": post.officer_name,
                "year": line.year,
                "fte": float(line.fte),
                "eligible_cost": float(line.eligible_cost),
                "rate": float(rule.rate) if rule else None,
                "ceiling_per_fte": float(rule.ceiling_per_fte) if rule else None,
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


# --- verbs --------------------------------------------------------------------------------

RENEWAL_ORDER = [RenewalStatus.a_renouveler, RenewalStatus.demande_recue, RenewalStatus.signee]


class FundingDeclaration(BaseModel):
    """What the territory declares for a year: working time and eligible cost of the post."""

    model_config = ConfigDict(extra="forbid")

    fte: Annotated[
        Decimal, BeforeValidator(french_number), Field(gt=0, le=Decimal("1.5"), decimal_places=2)
    ]
    eligible_cost: Money


class RenewalStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: RenewalStatus
    on: date


class AdvancePayment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[Money, Field(gt=0)]
    paid_on: date


def declare_funding(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    declaration: FundingDeclaration | dict,
) -> PostFunding:
    """Record ETP and eligible cost for the year and recompute the droit from that year's
    rule (rate and ceiling per ETP); refused once the acompte is paid."""
    require(user.decides_funding, "modifier le financement de ce poste")
    line = get_or_404(session, PostFunding, funding_id, "financement")
    declaration = (
        declaration
        if isinstance(declaration, FundingDeclaration)
        else validated(FundingDeclaration, dict(declaration))
    )
    rule = session.get(FundingRule, line.year)
    if rule is None:
        raise ValidationFailed(
            {"eligible_cost": f"Aucune règle de financement n'est définie pour {line.year}."}
        )
    if line.advance_paid_on is not None:
        raise ValidationFailed(
            {"eligible_cost": "L'acompte est versé : le droit de l'année est arrêté."}
        )
    values = {
        "fte": declaration.fte,
        "eligible_cost": declaration.eligible_cost,
        "entitlement": entitlement(declaration.fte, declaration.eligible_cost, rule),
    }
    before = {k: getattr(line, k) for k in values}
    changes = diff(before, values)
    if not changes:
        return line
    versioned_update(
        session, line, seen_version, values, user=user, entity="funding", convention_id=None
    )
    log_change(session, user, "funding", funding_id, "update", changes)
    session.commit()
    return line


def record_renewal(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    step: RenewalStep | dict,
) -> PostFunding:
    """Move the annual renewal one step on (demande reçue, then signée) with its date."""
    require(user.decides_funding, "enregistrer le renouvellement de ce poste")
    line = get_or_404(session, PostFunding, funding_id, "financement")
    step = step if isinstance(step, RenewalStep) else validated(RenewalStep, dict(step))
    current = RENEWAL_ORDER.index(line.renewal_status)
    if RENEWAL_ORDER.index(step.status) != current + 1:
        raise ValidationFailed(
            {
                "status": f"Après « {line.renewal_status.label} », l'étape suivante est "
                f"« {RENEWAL_ORDER[min(current + 1, 2)].label} »."
            }
        )
    date_field = {
        RenewalStatus.demande_recue: "renewal_received_on",
        RenewalStatus.signee: "renewal_signed_on",
    }[step.status]
    values = {"renewal_status": step.status, date_field: step.on}
    before = {k: getattr(line, k) for k in values}
    versioned_update(
        session, line, seen_version, values, user=user, entity="funding", convention_id=None
    )
    log_change(session, user, "funding", funding_id, "update", diff(before, values))
    session.commit()
    return line


def pay_advance(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    payment: AdvancePayment | dict,
) -> PostFunding:
    """Record the acompte; refused while the annual renewal is not signed."""
    require(user.decides_funding, "verser l'acompte de ce poste")
    line = get_or_404(session, PostFunding, funding_id, "financement")
    payment = (
        payment if isinstance(payment, AdvancePayment) else validated(AdvancePayment, dict(payment))
    )
    if line.renewal_status is not RenewalStatus.signee:
        raise ValidationFailed(
            {"amount": "Le renouvellement annuel n'est pas signé : l'acompte est bloqué."}
        )
    if line.advance_paid_on is not None:
        raise ValidationFailed({"amount": "L'acompte de cette année est déjà versé."})
    if payment.amount > line.entitlement:
        raise ValidationFailed({"amount": "L'acompte ne peut pas dépasser le droit de l'année."})
    values = {"advance_amount": payment.amount, "advance_paid_on": payment.paid_on}
    before = {k: getattr(line, k) for k in values}
    versioned_update(
        session, line, seen_version, values, user=user, entity="funding", convention_id=None
    )
    log_change(session, user, "funding", funding_id, "update", diff(before, values))
    session.commit()
    return line
