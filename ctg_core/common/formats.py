"""French number, money and date formats (Babel), shared by pages and exports."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import overload
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
)

LOCALE = "fr_FR"
_GROUP = get_group_symbol(LOCALE)  # narrow no-break space
_MINUS = get_minus_sign_symbol(LOCALE)
PARIS = ZoneInfo("Europe/Paris")  # the users' clock


# Past this magnitude a number is written in scientific notation (1,00 × 10³⁰): Babel's
# decimal arithmetic cannot place digits past 28 significant ones, and nobody reads them.
LARGEST_PLAIN = 1e15
NOT_A_NUMBER = "valeur non numérique"
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _unusual(value: float | int | Decimal) -> str | None:
    """How a number Babel cannot format is written (never raises), else None.

    Stored values written before the bounds existed (±1e308, infinities on PostgreSQL, NaN)
    must still display: formatting never raises on what the database holds.
    """
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return str(value)
    if math.isnan(number):
        return NOT_A_NUMBER
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    if abs(number) < LARGEST_PLAIN:
        return None
    mantissa, exponent = f"{number:.2e}".split("e")
    power = str(int(exponent)).translate(_SUPERSCRIPT)
    return f"{mantissa.replace('-', '−').replace('.', ',')} × 10{power}"


def number(value: float | int | Decimal | None, digits: int = 0) -> str:
    """1 234,5 — empty string for a missing value; never raises (1,00 × 10³⁰, ∞)."""
    if value is None:
        return ""
    unusual = _unusual(value)
    if unusual is not None:
        return unusual
    if digits == 0 and type(value) is int:  # the common case, without Babel's pattern machinery
        grouped = f"{abs(value):,}".replace(",", _GROUP)
        return _MINUS + grouped if value < 0 else grouped
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def euros(value: float | int | Decimal | None) -> str:
    """1 234,50 € — what Babel writes (to the cent, half to even)."""
    if value is None:
        return ""
    unusual = _unusual(value)
    if unusual is not None:
        return unusual if unusual == NOT_A_NUMBER else f"{unusual} €"
    if type(value) is Decimal or type(value) is int:  # amounts, without Babel's machinery
        cents = Decimal(value).quantize(_CENT, rounding=ROUND_HALF_EVEN)
        digits = f"{abs(cents):,.2f}".replace(",", _GROUP).replace(".", _DECIMAL)
        return f"{_MINUS if cents.is_signed() else ''}{digits}{_EURO}"
    return format_currency(value, "EUR", locale=LOCALE)


_CENT = Decimal("0.01")
_DECIMAL = get_decimal_symbol(LOCALE)
_EURO = "\u00a0€"  # after a no-break space


def percent(ratio: float | None, digits: int = 0) -> str:
    """`ratio` is a fraction (0.42 → 42 %)."""
    if ratio is None:
        return ""
    try:
        unusual = _unusual(float(ratio) * 100)
    except (TypeError, ValueError):
        return str(ratio)
    if unusual is not None:
        return unusual if unusual == NOT_A_NUMBER else f"{unusual} %"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + " %"
    return format_percent(ratio, format=pattern, locale=LOCALE)


def day(value: date | None) -> str:
    """25/11/2026 (what Babel writes for « dd/MM/yyyy », without its pattern machinery:
    pages write thousands of dates)."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if value else ""


def long_day(value: date | None) -> str:
    """25 novembre 2026."""
    return format_date(value, format="d MMMM yyyy", locale=LOCALE) if value else ""


@overload
def local_time(value: datetime) -> datetime: ...
@overload
def local_time(value: None) -> None: ...
def local_time(value: datetime | None) -> datetime | None:
    """A stored moment (UTC; SQLite gives it back without a zone) in French time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS)


def moment(value: datetime | None) -> str:
    """25/11/2026 14:05, French time."""
    if not value:
        return ""
    return format_datetime(local_time(value), format="dd/MM/yyyy HH:mm", locale=LOCALE)


# Markdown and Streamlit's own extensions (:icons:, $maths$, :color[text]), plus "&" (entities)
# and ":" / "." so that a bare URL or "1." never turns into a link or a list.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=&])")


def markdown_text(text: object) -> str:
    """User text as literal Markdown (pages and the compte rendu): no emphasis, links,
    headings, lists, HTML, entities, icons or maths; line breaks kept."""
    lines = str(text).splitlines() or [""]
    return "  \n".join(_MARKDOWN_SPECIALS.sub(r"\\\1", line) for line in lines)


def folded(text: str) -> str:
    """Text as search compares it: lower case, no accents, single spaces (« Rezé » → « reze »)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())
