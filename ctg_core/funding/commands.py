"""Verbs of the funding of cooperation-officer posts: declaration, annual renewal, acompte.

Each is a `@command` (see `common.command`): only Caf roles decide funding; each step is
validated, version-checked and written to the history, and commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from sqlmodel import Session

from ctg_core.common.auth import CurrentUser
from ctg_core.common.command import command
from ctg_core.common.errors import NotFound, ValidationFailed, require
from ctg_core.common.history import diff, log_change, versioned_update
from ctg_core.common.models import FundingRule, PostFunding, RenewalStatus
from ctg_core.common.validation import Day, Input, Money, french_number, validated
from ctg_core.funding.rules import entitlement


def _line(session: Session, funding_id: int) -> PostFunding:
    line = session.get(PostFunding, funding_id)
    if line is None:
        raise NotFound("financement", funding_id)
    return line


RENEWAL_ORDER = [RenewalStatus.a_renouveler, RenewalStatus.demande_recue, RenewalStatus.signee]


class FundingDeclaration(Input):
    """What the territory declares for a year: working time and eligible cost of the post."""

    fte: Annotated[
        Decimal, BeforeValidator(french_number), Field(gt=0, le=Decimal("1.5"), decimal_places=2)
    ]
    eligible_cost: Money


class RenewalStep(Input):
    status: RenewalStatus
    on: Day


class AdvancePayment(Input):
    amount: Annotated[Money, Field(gt=0)]
    paid_on: Day


@command
def declare_funding(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    declaration: FundingDeclaration | Mapping[str, Any],
) -> PostFunding:
    """Record ETP and eligible cost for the year and recompute the droit from that year's
    rule (rate and ceiling per ETP); refused once the acompte is paid."""
    require(user.decides_funding, "modifier le financement de ce poste")
    line = _line(session, funding_id)
    declaration = validated(FundingDeclaration, declaration)
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
    return line


@command
def record_renewal(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    step: RenewalStep | Mapping[str, Any],
) -> PostFunding:
    """Move the annual renewal one step on (demande reçue, then signée) with its date."""
    require(user.decides_funding, "enregistrer le renouvellement de ce poste")
    line = _line(session, funding_id)
    step = validated(RenewalStep, step)
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
    return line


@command
def pay_advance(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    payment: AdvancePayment | Mapping[str, Any],
) -> PostFunding:
    """Record the acompte; refused while the annual renewal is not signed."""
    require(user.decides_funding, "verser l'acompte de ce poste")
    line = _line(session, funding_id)
    payment = validated(AdvancePayment, payment)
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
    return line
