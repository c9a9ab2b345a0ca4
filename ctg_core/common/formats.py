"""French number, money and date formats (Babel), shared by pages and exports."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import overload
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "fr_FR"
PARIS = ZoneInfo("Europe/Paris")  # the users' clock


# Past this magnitude a number is written in scientific notation: Babel cannot format it
# (and no one reads 30 digits); a value stored before the core bounded numbers must show.
_PLAIN_LIMIT = 1e15


def _readable(value: float | int | Decimal, scale: int = 1) -> str | None:
    """What to show instead of Babel's output for a value Babel cannot format, else None."""
    try:
        as_float = float(value) * scale
    except (OverflowError, ValueError, ArithmeticError):
        return "—"
    if math.isnan(as_float):
        return "—"
    if math.isinf(as_float):
        return "∞" if as_float > 0 else "-∞"
    if abs(as_float) >= _PLAIN_LIMIT:
        mantissa, exponent = f"{as_float:.3e}".split("e")
        return f"{mantissa.replace('.', ',')} × 10^{int(exponent)}"
    return None


def number(value: float | int | Decimal | None, digits: int = 0) -> str:
    """1 234,5 — empty string for a missing value; never raises on a stored value."""
    if value is None:
        return ""
    odd = _readable(value)
    if odd is not None:
        return odd
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def euros(value: float | int | Decimal | None) -> str:
    if value is None:
        return ""
    odd = _readable(value)
    if odd is not None:
        return f"{odd} €"
    return format_currency(value, "EUR", locale=LOCALE)


def percent(ratio: float | None, digits: int = 0) -> str:
    """`ratio` is a fraction (0.42 → 42 %)."""
    if ratio is None:
        return ""
    odd = _readable(ratio, 100)
    if odd is not None:
        return f"{odd} %"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + " %"
    return format_percent(ratio, format=pattern, locale=LOCALE)


def day(value: date | None) -> str:
    """25/11/2026."""
    return format_date(value, format="dd/MM/yyyy", locale=LOCALE) if value else ""


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
