"""The rules of the funding of a cooperation-officer post (pure functions, no database):
how the droit is computed from the year's `FundingRule`, what the holders of a post cover
in a year, and which dates and amounts each step of the yearly cycle accepts.

The droit (README, « Financement des postes ») ::

    droit = min(taux × coût éligible, plafond par ETP × ETP × mois couverts / 12)

computed exactly, then rounded once to the cent, half up (0,005 € → 0,01 €).

The checks take anything that carries the line's dated facts (the `PostFunding` row in a
command, the `FundingLine` a page shows), so a page can refuse an amount *before* its
confirmation dialog with the very sentence the command would give.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from ctg_core.common import formats
from ctg_core.common.errors import ValidationFailed
from ctg_core.common.models import FundingRule, RenewalStatus

CENT = Decimal("0.01")
TWELVE = Decimal(12)
# The yearly cost of one post, whatever its ETP: beyond this, a typing slip (« 99 999 999 »).
MAX_POST_COST = Decimal("500000")
# Renewals whose due date falls within this many days are shown as alerts.
DUE_SOON_DAYS = 60


# --- the droit -------------------------------------------------------------------------------


def cap(fte: Decimal, rule: FundingRule, months: int = 12) -> Decimal:
    """The ceiling of the droit: ceiling per ETP × ETP × months covered / 12 (not rounded)."""
    return rule.ceiling_per_fte * fte * Decimal(months) / TWELVE


def entitlement(
    fte: Decimal, eligible_cost: Decimal, rule: FundingRule, months: int = 12
) -> Decimal:
    """Droit: the Caf rate applied to the eligible cost, capped at the ceiling per ETP for the
    months covered, rounded to the cent (half up)."""
    share = eligible_cost * rule.rate
    return to_cent(min(share, cap(fte, rule, months)))


def proposed_advance(entitlement: Decimal, rule: FundingRule) -> Decimal:
    """The acompte the Caf proposes: the year's share of the droit, to the cent."""
    return to_cent(entitlement * rule.advance_share)


def to_cent(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- what the holders of a post cover in a year ----------------------------------------------


class HolderPeriod(Protocol):
    fte: Decimal
    starts_on: date
    ends_on: date | None


def months_of(holder: HolderPeriod, year: int) -> set[int]:
    """The months of `year` (1–12) in which the holder works at least one day."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    start = max(holder.starts_on, first)
    end = min(holder.ends_on or last, last)
    if start > end:
        return set()
    return set(range(start.month, end.month + 1))


def coverage(holders: Iterable[HolderPeriod], year: int) -> tuple[Decimal, int]:
    """(ETP, months covered) of a post in `year`, as a line proposes them: the months in
    which someone holds the post, and the ETP averaged over those months (two holders at
    0,8 and 0,5 all year: 1,3 ETP over 12 months). (0, 0) when nobody holds it."""
    months: set[int] = set()
    fte_months = Decimal(0)
    for holder in holders:
        worked = months_of(holder, year)
        months |= worked
        fte_months += holder.fte * len(worked)
    if not months:
        return Decimal(0), 0
    return to_cent(fte_months / len(months)), len(months)


# --- the stages of the yearly cycle ----------------------------------------------------------


class Stage(StrEnum):
    """Where a yearly line stands; derived from its dates, never stored."""

    a_renouveler = "a_renouveler"
    demande_recue = "demande_recue"
    signee = "signee"
    acompte_verse = "acompte_verse"
    justifiee = "justifiee"
    soldee = "soldee"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS = {
    Stage.a_renouveler: "À renouveler",
    Stage.demande_recue: "Demande reçue",
    Stage.signee: "Signée, acompte à verser",
    Stage.acompte_verse: "Acompte versé",
    Stage.justifiee: "Justifiée, solde à régler",
    Stage.soldee: "Soldée",
}


class CycleFacts(Protocol):
    """The dated facts of one yearly line (a `PostFunding` or a query's `FundingLine`)."""

    year: int
    renewal_status: RenewalStatus
    renewal_received_on: date | None
    renewal_signed_on: date | None
    entitlement: Decimal
    advance_amount: Decimal | None
    advance_paid_on: date | None
    justified_on: date | None
    balance_amount: Decimal | None
    balance_paid_on: date | None


def stage(line: CycleFacts) -> Stage:
    if line.balance_paid_on is not None:
        return Stage.soldee
    if line.justified_on is not None:
        return Stage.justifiee
    if line.advance_paid_on is not None:
        return Stage.acompte_verse
    return Stage(RenewalStatus(line.renewal_status).value)


def balance_text(amount: Decimal | None) -> str:
    """« 1 200,00 € à verser » or « 1 800,00 € à récupérer » (a negative solde)."""
    if amount is None:
        return ""
    if amount < 0:
        return f"{formats.euros(-amount)} à récupérer"
    return f"{formats.euros(amount)} à verser"


# --- the window of each step -----------------------------------------------------------------


def renewal_window(rule: FundingRule, year: int) -> tuple[date, date]:
    """A renewal step of `year` is dated from the rule's opening day to the end of the year."""
    return rule.renewal_opens_on, date(year, 12, 31)


def justification_opens(year: int) -> date:
    """Actual costs are justified once the year is over."""
    return date(year + 1, 1, 1)


def renewal_overdue(status: RenewalStatus, due_on: date | None, today: date) -> bool:
    """A renewal not signed by its due date blocks the acompte: an alert."""
    return status is not RenewalStatus.signee and due_on is not None and due_on < today


def renewal_due_soon(status: RenewalStatus, due_on: date | None, today: date) -> bool:
    return (
        status is not RenewalStatus.signee
        and due_on is not None
        and today <= due_on <= today + timedelta(days=DUE_SOON_DAYS)
    )


# --- the checks of each step (French refusals) -----------------------------------------------

RENEWAL_ORDER = [RenewalStatus.a_renouveler, RenewalStatus.demande_recue, RenewalStatus.signee]


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: message})


def _not_in_future(field: str, on: date, today: date) -> None:
    if on > today:
        raise _refuse(field, f"La date ne peut pas être dans le futur (aujourd'hui : {_d(today)}).")


def _d(day: date | None) -> str:
    return formats.day(day)


def check_renewal_step(
    line: CycleFacts, rule: FundingRule, status: RenewalStatus, on: date, today: date
) -> None:
    """Demande reçue, then signée: one step at a time, dated in the renewal window, not in
    the future, a signature not before the request."""
    current = RENEWAL_ORDER.index(RenewalStatus(line.renewal_status))
    if current == len(RENEWAL_ORDER) - 1:
        raise _refuse("status", f"Le renouvellement {line.year} est déjà signé.")
    if RENEWAL_ORDER.index(status) != current + 1:
        expected = RENEWAL_ORDER[current + 1]
        raise _refuse(
            "status",
            f"Après « {RENEWAL_ORDER[current].label} », l'étape suivante est « {expected.label} ».",
        )
    _not_in_future("on", on, today)
    opens, closes = renewal_window(rule, line.year)
    if not opens <= on <= closes:
        raise _refuse(
            "on",
            f"Le renouvellement {line.year} se date du {_d(opens)} au {_d(closes)}.",
        )
    received = line.renewal_received_on
    if status is RenewalStatus.signee and received is not None and on < received:
        raise _refuse(
            "on",
            f"La signature ne peut pas précéder la réception de la demande ({_d(received)}).",
        )


def check_declaration(line: CycleFacts) -> None:
    if line.advance_paid_on is not None:
        raise _refuse("eligible_cost", "L'acompte est versé : le droit de l'année est arrêté.")


def check_advance(line: CycleFacts, amount: Decimal, paid_on: date, today: date) -> None:
    """Only after signature, paid on or after the signature date (within the year, not in
    the future), never above the droit."""
    if RenewalStatus(line.renewal_status) is not RenewalStatus.signee:
        raise _refuse("amount", "Le renouvellement annuel n'est pas signé : l'acompte est bloqué.")
    if line.advance_paid_on is not None:
        raise _refuse("amount", f"L'acompte {line.year} est déjà versé.")
    if line.entitlement <= 0:
        raise _refuse(
            "amount", "Le droit de l'année n'est pas calculé : déclarez d'abord le coût éligible."
        )
    if amount > line.entitlement:
        raise _refuse(
            "amount",
            f"L'acompte ({formats.euros(amount)}) ne peut pas dépasser le droit de l'année "
            f"({formats.euros(line.entitlement)}).",
        )
    _not_in_future("paid_on", paid_on, today)
    signed = line.renewal_signed_on
    if signed is not None and paid_on < signed:
        raise _refuse(
            "paid_on",
            f"L'acompte ne peut pas être versé avant la signature du renouvellement "
            f"({_d(signed)}).",
        )
    if paid_on > date(line.year, 12, 31):
        raise _refuse(
            "paid_on",
            f"L'acompte {line.year} se verse au plus tard le {_d(date(line.year, 12, 31))}.",
        )


def check_justification(
    line: CycleFacts, actual_cost: Decimal, justified_on: date, today: date
) -> None:
    """After the acompte, once the year is over, not in the future; a plausible cost."""
    if line.advance_paid_on is None:
        raise _refuse(
            "actual_cost",
            f"Le solde vient après l'acompte : l'acompte {line.year} n'est pas encore versé.",
        )
    if line.justified_on is not None:
        raise _refuse("actual_cost", f"Les dépenses {line.year} sont déjà justifiées.")
    if actual_cost > MAX_POST_COST:
        raise _refuse(
            "actual_cost",
            f"Le coût réel d'un poste ne peut pas dépasser {formats.euros(MAX_POST_COST)} "
            "par an : vérifiez le montant.",
        )
    _not_in_future("justified_on", justified_on, today)
    opens = justification_opens(line.year)
    if justified_on < opens:
        raise _refuse(
            "justified_on",
            f"Les dépenses {line.year} se justifient une fois l'année écoulée, "
            f"à partir du {_d(opens)}.",
        )
    if justified_on < line.advance_paid_on:
        raise _refuse(
            "justified_on",
            f"La justification ne peut pas précéder le versement de l'acompte "
            f"({_d(line.advance_paid_on)}).",
        )


def check_balance(line: CycleFacts, paid_on: date, today: date) -> None:
    """The solde is paid (or recovered) after the justification, not in the future."""
    if line.justified_on is None or line.balance_amount is None:
        raise _refuse(
            "paid_on",
            "Le solde se règle après la justification des dépenses (coût réel de l'année).",
        )
    if line.balance_paid_on is not None:
        raise _refuse("paid_on", f"Le solde {line.year} est déjà réglé.")
    _not_in_future("paid_on", paid_on, today)
    if paid_on < line.justified_on:
        raise _refuse(
            "paid_on",
            f"Le solde ne peut pas être réglé avant la justification ({_d(line.justified_on)}).",
        )
