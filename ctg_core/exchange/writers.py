"""Any table as an Excel workbook or a CSV file, the French way and formula-safe.

Excel: French headers in bold on a frozen first row with filter buttons, column widths,
dates as dates (JJ/MM/AAAA), numbers as numbers, amounts in euros, percentages as
percentages. CSV: `;` between fields, UTF-8 with a BOM so that Excel reads the accents
right, decimal comma, JJ/MM/AAAA dates. In both, a text that a spreadsheet would run as a
formula is written inert (`formulas.neutralised`).
"""

from __future__ import annotations

import csv
import enum
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ctg_core.common import formats
from ctg_core.exchange.formulas import neutralised

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
CSV_SEPARATOR = ";"
MAX_WIDTH = 60


class Kind(enum.StrEnum):
    """How a column's values are written."""

    text = "text"
    integer = "integer"
    number = "number"  # up to two decimals
    money = "money"  # euros, two decimals
    percent = "percent"  # a whole percent 0–100 (« 42 % » is 42)
    date = "date"
    moment = "moment"  # date and time in French time (a naive value is taken as such)


EXCEL_FORMATS = {
    Kind.integer: "#,##0",
    Kind.number: "General",  # as many decimals as the value has, no trailing comma
    Kind.money: '#,##0.00\\ "€"',
    Kind.percent: "0\\ %",
    Kind.date: "DD/MM/YYYY",
    Kind.moment: "DD/MM/YYYY HH:MM",
}


@dataclass(frozen=True)
class Column:
    key: str  # the column of the frame
    header: str  # its French header in the file
    kind: Kind = Kind.text
    width: int | None = None  # in characters; computed from the contents when None


@dataclass(frozen=True)
class Table:
    """What a download holds: a title (the sheet's name), columns and rows."""

    title: str
    columns: tuple[Column, ...]
    frame: pd.DataFrame

    def values(self) -> Iterable[list[Any]]:
        """Each row's values in column order, missing ones as None."""
        keys = [c.key for c in self.columns]
        for record in self.frame.reindex(columns=keys).itertuples(index=False, name=None):
            yield [None if _missing(v) else v for v in record]


def table(
    frame: pd.DataFrame,
    columns: Sequence[Column] | Mapping[str, str] | None = None,
    title: str = "Export",
) -> Table:
    """A `Table` from a frame. `columns` lists `Column`s, or maps a frame column to its
    French header (the kind is then read from the values: dates, numbers, texts); None
    keeps every column under its own name."""
    if columns is None:
        columns = {str(name): str(name) for name in frame.columns}
    if isinstance(columns, Mapping):
        columns = [Column(key, header, infer_kind(frame[key])) for key, header in columns.items()]
    return Table(title, tuple(columns), frame)


def infer_kind(values: pd.Series) -> Kind:
    if pd.api.types.is_bool_dtype(values):
        return Kind.text
    if pd.api.types.is_integer_dtype(values):
        return Kind.integer
    if pd.api.types.is_float_dtype(values):
        return Kind.number
    if pd.api.types.is_datetime64_any_dtype(values):
        return Kind.date
    sample = values.dropna()
    first = sample.iloc[0] if len(sample) else None
    if isinstance(first, datetime):
        return Kind.moment
    if isinstance(first, date):
        return Kind.date
    if isinstance(first, Decimal):
        return Kind.money
    return Kind.text


# --- Excel --------------------------------------------------------------------------------------


def excel_bytes(data: Table) -> bytes:
    """The table as an .xlsx workbook of one sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(data.title)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", start_color="DCE6F1")
    sheet.append([neutralised(c.header) for c in data.columns])
    for cell in sheet[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    widths = [len(c.header) for c in data.columns]
    for values in data.values():
        row = [excel_value(c.kind, v) for c, v in zip(data.columns, values, strict=True)]
        sheet.append(row)
        for index, (column, value) in enumerate(zip(data.columns, row, strict=True)):
            widths[index] = max(widths[index], _display_length(column.kind, value))
    last_row = sheet.max_row
    for index, column in enumerate(data.columns, start=1):
        letter = get_column_letter(index)
        width = column.width or min(widths[index - 1] + 2, MAX_WIDTH)
        sheet.column_dimensions[letter].width = max(width, 8)
        number_format = EXCEL_FORMATS.get(column.kind)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if number_format:
                cell.number_format = number_format
            if column.kind is Kind.text:
                cell.data_type = "s"  # never a formula, whatever openpyxl guessed
    sheet.freeze_panes = "A2"
    if data.columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(data.columns))}{last_row}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def excel_value(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind is Kind.text:
        return neutralised(ILLEGAL_CHARACTERS_RE.sub("", _text(value)))
    if kind is Kind.date:
        return _day(value)
    if kind is Kind.moment:
        return _local(value)
    number = _number(value)
    if number is None:
        return None
    if kind is Kind.percent:
        return number / 100
    if kind is Kind.integer:
        return round(number)
    return number


def sheet_title(title: str) -> str:
    """A valid sheet name: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "Export"
    return cleaned[:31]


def _display_length(kind: Kind, value: Any) -> int:
    if value is None:
        return 0
    if kind is Kind.text:
        return max((len(line) for line in str(value).splitlines()), default=0)
    if kind in (Kind.date, Kind.moment):
        return 10 if kind is Kind.date else 16
    return len(csv_value(kind, value)) + 2


# --- CSV ----------------------------------------------------------------------------------------


def csv_bytes(data: Table) -> bytes:
    """The table as CSV: `;`, UTF-8 with BOM, CRLF line ends, French numbers and dates."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, lineterminator="\r\n")
    writer.writerow([neutralised(c.header) for c in data.columns])
    for values in data.values():
        writer.writerow([csv_value(c.kind, v) for c, v in zip(data.columns, values, strict=True)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_value(kind: Kind, value: Any) -> str:
    if value is None:
        return ""
    if kind is Kind.text:
        return neutralised(_text(value))
    if kind is Kind.date:
        return formats.day(_day(value))
    if kind is Kind.moment:
        return _local(value).strftime("%d/%m/%Y %H:%M")
    number = _number(value)
    if number is None:
        return ""
    if kind is Kind.percent:
        return f"{_plain(number, 0)} %"
    digits = {Kind.integer: 0, Kind.money: 2}.get(kind)
    return _plain(number, digits)


def _plain(number: float, digits: int | None) -> str:
    """1234,5 — a decimal comma and no thousands separator, as Excel reads a French CSV."""
    if digits is not None:
        text = f"{number:.{digits}f}"
    else:  # every decimal the value has (never 1e+16), so that an import reads it back
        text = format(Decimal(repr(float(number))), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


# --- values -------------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, str | bytes) else False
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        label = getattr(value, "label", None)
        return str(label if label is not None else value.value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return formats.moment(value)
    if isinstance(value, date):
        return formats.day(value)
    return str(value)


def _day(value: Any) -> date:
    if isinstance(value, datetime | pd.Timestamp):
        return pd.Timestamp(value).date()
    return value  # type: ignore[no-any-return]


def _local(value: Any) -> datetime:
    """A moment in French time, without zone (a spreadsheet has none): an aware value is
    converted, a naive one is taken as French time already."""
    moment = pd.Timestamp(value).to_pydatetime()
    if moment.tzinfo is not None:
        moment = formats.local_time(moment).replace(tzinfo=None)
    return moment


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number
