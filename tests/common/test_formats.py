"""French formats never raise on what the database holds, however large or odd."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from hypothesis import given
from hypothesis import strategies as st

from ctg_core.common import formats


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1234.5, "1\u202f234,5"),
        (1e30, "1,00 × 10³⁰"),
        (-1e308, "−1,00 × 10³⁰⁸"),
        (float("inf"), "∞"),
        (float("-inf"), "−∞"),
        (float("nan"), "valeur non numérique"),
    ],
)
def test_a_number_is_always_written_in_french(value, shown):
    assert formats.number(value, 1) == shown


def test_a_number_past_babel_s_precision_is_written_in_scientific_notation():
    # Babel raised decimal.InvalidOperation from about 1e27 on: the page broke for good.
    assert formats.number(1e27) == "1,00 × 10²⁷"
    assert formats.number(1e15) == "1,00 × 10¹⁵"
    assert formats.number(123_456_789_012) == "123\u202f456\u202f789\u202f012"


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_a_whole_number_is_written_as_babel_writes_it(value):
    """Whole numbers skip Babel's pattern machinery (the maps write thousands of them)."""
    assert formats.number(value) == format_decimal(value, format="#,##0", locale="fr_FR")


@given(
    st.one_of(
        st.decimals(min_value=-(10**14), max_value=10**14, allow_nan=False),
        st.integers(min_value=-(10**14), max_value=10**14),
        st.sampled_from([Decimal("0.005"), Decimal("0.015"), Decimal("-0.001"), Decimal("-0")]),
    )
)
def test_an_amount_is_written_in_euros_as_babel_writes_it(value):
    """Amounts skip Babel's pattern machinery (a funding book formats thousands of them)."""
    assert formats.euros(value) == format_currency(value, "EUR", locale="fr_FR")


@pytest.mark.parametrize("value", [1e30, -1e308, float("inf"), float("nan")])
def test_euros_and_percentages_never_raise(value):
    assert formats.euros(value)
    assert formats.percent(value)


@pytest.mark.parametrize(
    "value",
    [date(2026, 11, 25), date(2026, 1, 5), date(1999, 12, 31), date(2100, 2, 28), date(999, 3, 4)],
)
def test_a_day_is_written_as_babel_writes_dd_mm_yyyy(value):
    assert formats.day(value) == format_date(value, format="dd/MM/yyyy", locale="fr_FR")


def test_a_moment_given_as_a_day_keeps_only_its_date():
    assert formats.day(datetime(2026, 11, 25, 23, 59)) == "25/11/2026"
    assert formats.day(None) == ""
