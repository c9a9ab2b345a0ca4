"""What each kind of measure allows: the bounds of an indicator's values (baseline, target,
measured), whatever page, presenter or import they come from.

Every value is first a French number within ±1 000 000 000 000 (`validation.FrenchFloat`);
its kind then narrows it: a number of places is a whole number and never negative, a rate
in % is never negative but may pass 100 (a taux de couverture of 112 places for 100
children is real), a share in % stays between 0 and 100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ctg_core.common import formats
from ctg_core.common.models import MeasureKind
from ctg_core.common.validation import MAX_MEASURE


@dataclass(frozen=True)
class Bounds:
    minimum: float
    maximum: float
    whole: bool = False
    default_unit: str = ""

    def allows(self, value: float) -> bool:
        return (
            math.isfinite(value)
            and self.minimum <= value <= self.maximum
            and (not self.whole or float(value).is_integer())
        )


BOUNDS: dict[MeasureKind, Bounds] = {
    MeasureKind.count: Bounds(0, MAX_MEASURE, whole=True),
    MeasureKind.quantity: Bounds(0, MAX_MEASURE),
    MeasureKind.rate: Bounds(0, MAX_MEASURE, default_unit="%"),
    MeasureKind.share: Bounds(0, 100, default_unit="%"),
    MeasureKind.amount: Bounds(0, MAX_MEASURE, default_unit="€"),
    MeasureKind.signed: Bounds(-MAX_MEASURE, MAX_MEASURE),
}


def bounds(kind: MeasureKind | str) -> Bounds:
    return BOUNDS[MeasureKind(kind)]


def refusal(kind: MeasureKind | str, value: float, what: str = "La valeur") -> str | None:
    """The French sentence refusing `value` for this kind of measure, or None if allowed.

    `what` names the value in the sentence (« La valeur », « La cible »).
    """
    kind = MeasureKind(kind)
    rule = BOUNDS[kind]
    if rule.allows(value):
        return None
    if not math.isfinite(value):
        return f"{what} doit être un nombre fini."
    if rule.whole and not float(value).is_integer():
        return f"{what} est un nombre entier pour un effectif (par exemple 12, pas 12,5)."
    if value < rule.minimum:
        if rule.minimum == 0:
            return f"{what} ne peut pas être négative pour {_kind_words(kind)}."
        return f"{what} doit être au moins {formats.number(rule.minimum)}."
    if kind is MeasureKind.share:
        return f"{what} d'une part en % va de 0 à 100."
    return f"{what} doit être au plus {formats.number(rule.maximum)}."


def within(kind: MeasureKind | str, value: float | None) -> bool:
    """True when a stored value respects its kind (a row written before the bounds existed
    may not: it is shown, marked, and left out of the charts' scales)."""
    if value is None:
        return True
    try:
        return bounds(kind).allows(float(value))
    except (TypeError, ValueError, OverflowError):
        return False


def _kind_words(kind: MeasureKind) -> str:
    return {
        MeasureKind.count: "un effectif",
        MeasureKind.quantity: "une quantité",
        MeasureKind.rate: "un taux",
        MeasureKind.share: "une part",
        MeasureKind.amount: "un montant",
    }.get(kind, "cette mesure")
