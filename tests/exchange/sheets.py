"""Spreadsheets built the way people make them, and the checks an export must pass."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from ctg_core.exchange.formulas import DANGEROUS_STARTS

FILES = Path(__file__).resolve().parent / "fichiers"
# Made once with msoffcrypto-tool 6.1.0 (Excel's « Chiffrer avec mot de passe », password
# « ctg »): an OLE compound file holding EncryptionInfo and EncryptedPackage streams.
PROTECTED_XLSX = FILES / "protege-par-mot-de-passe.xlsx"

PLAN_HEADERS = [
    "Axe",
    "Code",
    "Intitulé",
    "Objectif",
    "Pilote",
    "Partenaires",
    "Début",
    "Échéance",
    "Budget (€)",
    "Statut",
    "Avancement",
    "Commentaire",
    "Point de vigilance",
]


def xlsx(rows: Iterable[Sequence[Any]], title: str = "Plan d'actions") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    return saved(book)


def saved(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(rows: Iterable[Sequence[Any]], separator: str = ";") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def formula_cells(content: bytes) -> list[str]:
    """Cells of an .xlsx that a spreadsheet would run: formulas, or texts that begin like one."""
    book = load_workbook(io.BytesIO(content))
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (
                    isinstance(cell.value, str) and cell.value.startswith(DANGEROUS_STARTS)
                ):
                    found.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r}")
    return found


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 avec BOM"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def dangerous_csv_cells(content: bytes) -> list[str]:
    """Cells of a CSV that a spreadsheet would run (text fields only: a number such as
    « -12,5 » is a number)."""
    return [
        cell
        for row in csv_rows(content)
        for cell in row
        if cell.startswith(DANGEROUS_STARTS) and not _is_number(cell)
    ]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ".").replace(" %", ""))
    except ValueError:
        return False
    return True
