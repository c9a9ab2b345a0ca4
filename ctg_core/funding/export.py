"""The Caf-wide view as an Excel workbook, formula-safe.

A text that a spreadsheet would read as a formula (« =… », « +… », « -… », « @… », a tab or a
carriage return first) is stored as plain text, never evaluated. Amounts stay numbers with a
euro format, so the workbook can be summed.

Until the batch's spreadsheet export (`ctg_core/exchange/`) lands, this small writer serves
the Financement page through one call, `caf_view_workbook`.
"""

from __future__ import annotations

from io import BytesIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EUROS = '#,##0.00\u00a0"€"'
HEADERS = {
    "year": "Année",
    "epci": "EPCI",
    "lines": "Postes",
    "entitlements": "Droits",
    "advances_paid": "Acomptes versés",
    "balances_due": "Soldes à verser",
    "to_recover": "Sommes à récupérer",
    "balances_settled": "Soldes réglés (net)",
}
MONEY = frozenset(
    {"entitlements", "advances_paid", "balances_due", "to_recover", "balances_settled"}
)


def caf_view_workbook(view: pd.DataFrame, *, title: str = "Financement des postes") -> bytes:
    """The rows of `queries.caf_view` as an .xlsx file (one sheet, French headers)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    columns = [c for c in HEADERS if c in view.columns]
    sheet.append([HEADERS[c] for c in columns])
    for record in view[columns].itertuples(index=False):
        sheet.append([_cell_value(v) for v in record])
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 48 if column == "epci" else 18
        for cell in sheet[letter][1:]:
            if column in MONEY:
                cell.number_format = EUROS
            elif isinstance(cell.value, str):
                cell.data_type = TYPE_STRING  # a leading « = » stays text
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell_value(value: object) -> object:
    if isinstance(value, str):
        return value
    if hasattr(value, "is_finite"):  # Decimal
        return float(value)  # type: ignore[arg-type]
    if hasattr(value, "item"):  # numpy scalar
        return value.item()  # type: ignore[union-attr]
    return value
