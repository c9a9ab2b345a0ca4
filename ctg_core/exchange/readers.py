"""An uploaded spreadsheet (.xlsx or .csv) read the way French offices write them, or
refused with a French sentence that says what to do.

Accepted: `;` (or `,`, or tab) between fields, UTF-8 (with or without BOM), UTF-16 or
Windows-1252, blank lines, title rows above the header, merged cells (a merged header or an
axis merged down several rows reads as if written in every cell), percentages typed as
« 50 % », dates as dates or « 25/11/2026 », columns that the import does not know (ignored,
with a warning). Refused before anything is read: a file too large, a workbook with macros
(.xlsm), a password-protected workbook, an old .xls, a file that is not a spreadsheet, a
workbook that would unzip to far more than it weighs.

The reader knows nothing of actions or indicators: it is given the columns (`Field`) an
import expects and returns each data line as `{field: raw value}` with its line number.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from ctg_core.common import formats
from ctg_core.common.errors import CtgError
from ctg_core.exchange.formulas import QUOTE, looks_like_formula, unquoted

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024
MAX_RECORDS = 10_000
MAX_COLUMNS = 100
HEADER_SEARCH_ROWS = 10
SPREADSHEET_SUFFIXES = (".xlsx", ".csv", ".txt")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an encrypted .xlsx
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


class UnreadableFile(CtgError):
    """The file cannot be imported at all; nothing was read, nothing changes."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Fichier refusé : {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Field:
    """A column an import knows: its field name, the header of the template, and the other
    headers people give it."""

    name: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Record:
    """One data line: its number in the file, each known field's raw value (None when
    empty) and the fields whose cell holds a formula instead of a value."""

    line: int
    values: dict[str, Any]
    formulas: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ReadSheet:
    file_name: str
    sheet: str  # the worksheet read ("" for a CSV)
    header_line: int
    headers: dict[str, str]  # field → its header as written in the file
    records: tuple[Record, ...]
    warnings: tuple[str, ...] = ()


@dataclass
class _Row:
    line: int
    cells: list[Any]
    formulas: set[int] = field(default_factory=set)

    @property
    def blank(self) -> bool:
        return all(_blank(v) for v in self.cells)


def read_records(name: str, content: bytes, fields: Sequence[Field]) -> ReadSheet:
    """The data lines of the uploaded file `name`, for the columns `fields`; raises
    `UnreadableFile` (a French reason) when the file cannot be imported at all."""
    suffix = PurePath(name).suffix.lower()
    _check_envelope(name, suffix, content)
    if content.startswith(_ZIP):
        sheets = _xlsx_sheets(content)
    elif suffix == ".xlsx":
        raise UnreadableFile(
            f"« {name} » n'est pas un classeur Excel valide (il est peut-être abîmé). "
            "Rouvrez-le dans Excel puis enregistrez-le au format « Classeur Excel (.xlsx) »."
        )
    else:
        sheets = [("", _csv_rows(content))]
    return _records(name, sheets, fields)


# --- what kind of file --------------------------------------------------------------------------


def _check_envelope(name: str, suffix: str, content: bytes) -> None:
    if len(content) > MAX_FILE_BYTES:
        raise UnreadableFile(
            f"le fichier pèse {formats.number(len(content) / 1024 / 1024, 1)} Mo, au-delà de la "
            f"limite de {formats.number(MAX_FILE_BYTES / 1024 / 1024)} Mo. Un plan d'actions "
            "tient en quelques centaines de Ko : retirez les images et les feuilles inutiles."
        )
    if suffix == ".xlsm":
        raise _macros()
    if suffix in (".xls", ".ods", ".numbers") or content.startswith(_OLE):
        if content.startswith(_OLE) and _ENCRYPTED in content:
            raise UnreadableFile(
                "le classeur est protégé par un mot de passe. Ouvrez-le dans Excel, retirez le "
                "mot de passe (Fichier › Informations › Protéger le classeur), enregistrez-le "
                "puis importez-le de nouveau."
            )
        raise UnreadableFile(
            f"« {name} » est dans un format que l'import ne lit pas. Enregistrez-le au format "
            "« Classeur Excel (.xlsx) » ou « CSV (séparateur : point-virgule) »."
        )
    if suffix not in SPREADSHEET_SUFFIXES:
        raise UnreadableFile(
            f"« {name} » n'est pas un tableur. Importez un classeur Excel (.xlsx) ou un fichier "
            "CSV (.csv) ; le modèle à télécharger ci-dessus montre les colonnes attendues."
        )
    if not content.strip(b" \t\r\n\xef\xbb\xbf"):
        raise UnreadableFile("le fichier est vide.")


def _macros() -> UnreadableFile:
    return UnreadableFile(
        "les classeurs avec macros (.xlsm) ne sont pas acceptés. Enregistrez-le au format "
        "« Classeur Excel (.xlsx) », sans macros, puis importez-le."
    )


# --- Excel --------------------------------------------------------------------------------------


def _xlsx_sheets(content: bytes) -> list[tuple[str, list[_Row]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            unzipped = sum(info.file_size for info in archive.infolist())
            types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnreadableFile("le classeur est abîmé : il ne peut pas être ouvert.") from None
    if "xl/workbook.xml" not in names:
        raise UnreadableFile(
            "ce fichier n'est pas un classeur Excel (c'est peut-être un document Word ou une "
            "archive). Importez un classeur Excel (.xlsx) ou un fichier CSV."
        )
    if "xl/vbaProject.bin" in names or b"macroEnabled" in types:
        raise _macros()
    if unzipped > MAX_UNZIPPED_BYTES:
        raise UnreadableFile(
            "le classeur est trop volumineux une fois ouvert. Gardez seulement la feuille du "
            "plan d'actions, sans images, et importez-le de nouveau."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on extensions it skips
            book = load_workbook(
                io.BytesIO(content),
                read_only=True,  # streamed: as fast as pandas, whatever the sheet's size
                data_only=False,  # a formula is seen as a formula, not as its last result
                keep_vba=False,
                keep_links=False,
            )
            try:
                return [
                    (sheet.title, _sheet_rows(sheet, content))
                    for sheet in book.worksheets
                    if sheet.sheet_state == "visible"
                ]
            finally:
                book.close()
    except UnreadableFile:
        raise
    except Exception:  # openpyxl raises many kinds of errors on a damaged workbook
        raise UnreadableFile("le classeur est abîmé : il ne peut pas être ouvert.") from None


def _sheet_rows(sheet: Any, content: bytes) -> list[_Row]:
    sheet.reset_dimensions()  # some writers give a wrong size: read every cell there is
    rows: list[_Row] = []
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        if number > MAX_RECORDS + HEADER_SEARCH_ROWS + 1000:
            raise _too_many()
        row = _Row(number, [])
        for index, cell in enumerate(cells[:MAX_COLUMNS]):
            value = cell.value
            if cell.data_type == "f" or isinstance(value, ArrayFormula | DataTableFormula):
                row.formulas.add(index)
                value = str(getattr(value, "text", value))
            elif isinstance(value, str):
                value = unquoted(value)
            elif isinstance(value, bool):
                pass
            elif isinstance(value, int | float) and _is_percent(cell.number_format):
                value = round(value * 100, 9)
            elif isinstance(value, datetime) and value.time() == time(0):
                value = value.date()
            row.cells.append(value)
        rows.append(row)
    _fill_merged(_merged_ranges(content, sheet), rows)
    return rows


_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')


def _merged_ranges(content: bytes, sheet: Any) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a sheet (a streamed sheet does not read them): (min_col,
    min_row, max_col, max_row) each."""
    path = getattr(sheet, "_worksheet_path", None)
    if not path:
        return []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read(path)
    return [range_boundaries(ref.decode()) for ref in _MERGED.findall(xml)]  # type: ignore[misc]


def _fill_merged(merged: list[tuple[int, int, int, int]], rows: list[_Row]) -> None:
    """A merged range reads as its first cell's value written in each of its cells."""
    for left, top, right, bottom in merged:
        right = min(right, MAX_COLUMNS)
        if top > len(rows) or left > right:
            continue
        first = rows[top - 1]
        value = first.cells[left - 1] if left <= len(first.cells) else None
        formula = (left - 1) in first.formulas
        for number in range(top, min(bottom, len(rows)) + 1):
            cells = rows[number - 1].cells
            cells.extend([None] * (right - len(cells)))
            for column in range(left, right + 1):
                cells[column - 1] = value
                if formula:
                    rows[number - 1].formulas.add(column - 1)


def _is_percent(number_format: str) -> bool:
    """True for a cell Excel shows as a percentage (« 50 % » is stored as 0.5)."""
    return "%" in re.sub(r'"[^"]*"|\\.', "", number_format or "")


# --- CSV ----------------------------------------------------------------------------------------


def _csv_rows(content: bytes) -> list[_Row]:
    text = _decoded(content)
    first = next((line for line in text.splitlines() if line.strip()), "")
    separator = max(";,\t", key=lambda s: (first.count(s), s == ";"))
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    line = 1
    try:
        for cells in reader:
            row = _Row(line, [])
            for index, raw in enumerate(cells[:MAX_COLUMNS]):
                stripped = raw.strip()
                if looks_like_formula(stripped):
                    row.formulas.add(index)
                row.cells.append(unquoted(stripped) if stripped.startswith(QUOTE) else raw)
            rows.append(row)
            line = reader.line_num + 1
            if len(rows) > MAX_RECORDS + HEADER_SEARCH_ROWS + 1000:
                raise _too_many()
    except csv.Error:
        raise UnreadableFile(
            f"la ligne {line} du fichier CSV ne peut pas être lue (guillemet non fermé ou "
            "cellule démesurée). Corrigez-la ou enregistrez de nouveau le fichier depuis Excel."
        ) from None
    return rows


def _decoded(content: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with its BOM (Excel's « texte Unicode »), else
    Windows-1252 (Excel's « CSV (séparateur : point-virgule) » on a French Windows)."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_text() from None
    if b"\x00" in content:
        raise _not_text()
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        raise _not_text() from None


def _not_text() -> UnreadableFile:
    return UnreadableFile(
        "ce fichier n'est pas un tableur (ni classeur Excel, ni texte CSV). Importez un classeur "
        "Excel (.xlsx) ou un fichier CSV."
    )


def _too_many() -> UnreadableFile:
    return UnreadableFile(
        f"le fichier compte plus de {formats.number(MAX_RECORDS)} lignes. Importez le plan "
        "d'une convention à la fois."
    )


# --- from rows to records -----------------------------------------------------------------------


def header_key(text: Any) -> str:
    """A header as compared: « Échéance (JJ/MM/AAAA) * » → « echeance »."""
    folded = unicodedata.normalize("NFKD", str(text))
    bare = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    bare = re.sub(r"\(.*?\)", "", bare)
    return re.sub(r"[^a-z0-9]", "", bare)


def _records(name: str, sheets: list[tuple[str, list[_Row]]], fields: Sequence[Field]) -> ReadSheet:
    known = {header_key(alias): f for f in fields for alias in (f.header, *f.aliases)}
    filled = [(title, [r for r in rows if not r.blank]) for title, rows in sheets]
    filled = [(title, rows) for title, rows in filled if rows]
    if not filled:
        single = sheets[0][0] if len(sheets) == 1 else ""
        where = f"la feuille « {single} » est vide" if single else "le fichier est vide"
        raise UnreadableFile(where + " : aucune ligne à importer.")
    candidates = [(title, rows, *_header(rows, known)) for title, rows in filled]
    title, rows, header_index, columns = max(candidates, key=lambda c: len(c[3]))
    if all(_all_formulas(r) for r in rows):
        raise UnreadableFile(
            "le fichier ne contient que des formules, pas des valeurs. Dans Excel, copiez les "
            "cellules puis « Collage spécial › Valeurs », enregistrez et importez de nouveau."
        )
    missing = [f.header for f in fields if f.required and f.name not in columns]
    if missing:
        raise UnreadableFile(_missing_columns(missing, rows[header_index], fields))
    header_row = rows[header_index]
    data_rows = rows[header_index + 1 :]
    if not data_rows:
        raise UnreadableFile(
            "le fichier ne contient que la ligne des titres de colonnes : aucune ligne à importer."
        )
    if len(data_rows) > MAX_RECORDS:
        raise _too_many()
    records = []
    for row in data_rows:
        values = {
            f: _clean(row.cells[i]) if i < len(row.cells) else None for f, i in columns.items()
        }
        if all(v is None for v in values.values()):
            continue
        formulas = frozenset(f for f, i in columns.items() if i in row.formulas)
        records.append(Record(row.line, values, formulas))
    if not records:
        raise UnreadableFile(
            "aucune ligne du fichier ne remplit les colonnes attendues : aucune ligne à importer."
        )
    headers = {f: str(header_row.cells[i]).strip() for f, i in columns.items()}
    return ReadSheet(
        name,
        title,
        header_row.line,
        headers,
        tuple(records),
        tuple(_ignored(header_row, data_rows, columns, known)),
    )


def _header(rows: list[_Row], known: dict[str, Field]) -> tuple[int, dict[str, int]]:
    """The header line (index in `rows`) among the first lines, and each known field's
    column: the line that names the most known columns wins."""
    best: tuple[int, dict[str, int]] = (0, {})
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for column, value in enumerate(row.cells):
            found = known.get(header_key(value)) if isinstance(value, str) else None
            if found is not None and column not in row.formulas:
                columns.setdefault(found.name, column)
        if len(columns) > len(best[1]):
            best = (index, columns)
    return best


def _ignored(
    header: _Row, data: list[_Row], columns: dict[str, int], known: dict[str, Field]
) -> list[str]:
    used = set(columns.values())
    notes = []
    named, untitled, doubled = [], [], []
    for index, value in enumerate(header.cells):
        if index in used:
            continue
        has_data = any(index < len(r.cells) and not _blank(r.cells[index]) for r in data)
        if _blank(value):
            if has_data:
                untitled.append(get_column_letter(index + 1))
        elif header_key(value) in known:
            if has_data:  # a header merged over an empty column is not a second column
                doubled.append(str(value).strip())
        else:
            named.append(str(value).strip())
    if named:
        notes.append(
            "Colonnes ignorées (l'import ne les connaît pas) : "
            + ", ".join(f"« {n} »" for n in named)
            + "."
        )
    if untitled:
        notes.append(f"Colonnes sans titre ignorées : {', '.join(untitled)}.")
    if doubled:
        notes.append(
            "Colonnes en double, seule la première est lue : "
            + ", ".join(f"« {n} »" for n in dict.fromkeys(doubled))
            + "."
        )
    return notes


def _missing_columns(missing: list[str], header: _Row, fields: Sequence[Field]) -> str:
    found = [str(v).strip() for v in header.cells if not _blank(v)][:12]
    text = "colonne" + ("s" if len(missing) > 1 else "") + " obligatoire"
    text += ("s" if len(missing) > 1 else "") + " absente" + ("s" if len(missing) > 1 else "")
    text += " : " + ", ".join(f"« {m} »" for m in missing) + ". "
    if found:
        text += "Titres lus : " + ", ".join(f"« {f} »" for f in found) + ". "
    text += "Colonnes attendues : " + ", ".join(f"« {f.header} »" for f in fields) + "."
    return text


def _all_formulas(row: _Row) -> bool:
    filled = [i for i, v in enumerate(row.cells) if not _blank(v)]
    return bool(filled) and all(i in row.formulas for i in filled)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean(value: Any) -> Any:
    return None if _blank(value) else value


# --- cells, as an import takes them ---------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell read as text: a number typed in a text column (a code « 12 ») stays as typed."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def cell_day(value: Any) -> Any:
    """A date cell: a date, a text « 25/11/2026 », or the day number of an unformatted cell."""
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 80_000:
        return from_excel(value).date()
    return value
