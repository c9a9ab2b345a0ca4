"""What each kind of measure allows (bounds of every indicator value)."""

import pytest

from ctg_core.common.models import MeasureKind
from ctg_core.indicators import units


@pytest.mark.parametrize(
    ("kind", "value", "allowed"),
    [
        (MeasureKind.count, 12, True),
        (MeasureKind.count, 0, True),
        (MeasureKind.count, -1, False),
        (MeasureKind.count, 12.5, False),
        (MeasureKind.quantity, 12.5, True),
        (MeasureKind.quantity, -0.5, False),
        (MeasureKind.rate, 104.2, True),  # a taux de couverture above 100 is real
        (MeasureKind.rate, -3, False),
        (MeasureKind.share, 100, True),
        (MeasureKind.share, 100.5, False),
        (MeasureKind.amount, -10, False),
        (MeasureKind.signed, -250, True),
        (MeasureKind.signed, 1e30, False),
        (MeasureKind.rate, 1e12, True),
        (MeasureKind.rate, 1e12 + 1e6, False),
    ],
)
def test_each_kind_bounds_its_values(kind, value, allowed):
    assert units.within(kind, value) is allowed
    assert (units.refusal(kind, value) is None) is allowed


def test_refusals_are_french_sentences_naming_the_value():
    assert units.refusal(MeasureKind.count, -1) == (
        "La valeur ne peut pas être négative pour un effectif."
    )
    assert units.refusal(MeasureKind.count, 12.5, "La cible") == (
        "La cible est un nombre entier pour un effectif (par exemple 12, pas 12,5)."
    )
    assert units.refusal(MeasureKind.share, 120) == "La valeur d'une part en % va de 0 à 100."


@pytest.mark.parametrize("stored", [float("nan"), float("inf"), -1e308, None])
def test_an_odd_stored_value_is_read_without_raising(stored):
    assert units.within(MeasureKind.rate, stored) is (stored is None)
