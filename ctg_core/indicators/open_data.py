"""Reading the Caf open-data files of catalogue indicators (pure: text in, rows out).

The Caf publishes its figures by EPCI (and by département) as CSV files whose shape has
known traps, each handled here:

- `;` separators and decimal commas (« 58,4 »), sometimes a Windows-1252 encoding;
- placeholder rows whose EPCI code is `XX` (or `XXXXXXXXX`, `ZZZZZZZZZ`): figures that
  could not be placed in an EPCI, ignored and counted;
- the year given as an integer (`annee` = 2023) in some files and as a date in others
  (`DTREF` = 31/12/2023 or 2023-12-31);
- rates above 100 that are real (a taux de couverture of 104 places for 100 children):
  each value is checked against its catalogue kind, not against « a percentage »;
- empty cells (statistical secrecy) are skipped, not read as 0.

A file that cannot be read raises `ValidationFailed` with French sentences naming the line;
nothing is written from it (`commands.import_open_data` writes only a file read whole).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from ctg_core.common.errors import ValidationFailed
from ctg_core.common.models import MeasureKind
from ctg_core.common.validation import FIRST_YEAR, LAST_YEAR
from ctg_core.indicators import units

MAX_BYTES = 5_000_000
MAX_ERRORS = 5
EPCI_CODE_COLUMNS = ("numepci", "code_epci", "siren_epci", "epci", "siren")
DEPARTEMENT_CODE_COLUMNS = ("numdep", "numdept", "code_departement", "departement", "dep")
NAME_COLUMNS = ("nomepci", "nom_epci", "libepci", "nomdep", "nom_departement", "libelle", "nom")
YEAR_COLUMNS = ("annee", "dtref", "date_ref", "date_reference", "annee_ref")
# Columns known to hold each catalogue indicator's value in the Caf files.
VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "TXCOUV": ("taux_couv_global", "txcouv_global", "tx_couv_global", "taux_couverture", "txcouv"),
    "PLACES_EAJE": ("nb_places_eaje", "nbplaces_eaje", "places_eaje", "nb_places"),
    "ALLOCATAIRES": ("nb_alloc", "nballoc", "nb_allocataires", "allocataires"),
}
_PLACEHOLDER = re.compile(r"[XZ]+", re.IGNORECASE)
_EPCI_CODE = re.compile(r"\d{9}")
_DEPARTEMENT_CODE = re.compile(r"\d{2,3}|2[AB]", re.IGNORECASE)
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?")
_FRENCH_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_YEAR = re.compile(r"(\d{4})(?:[.,]0+)?")


@dataclass(frozen=True)
class FigureRow:
    """One figure of the file: an EPCI (SIREN) or a département (« 44 ») and a year."""

    line: int
    code: str
    name: str
    year: int
    value: float


@dataclass(frozen=True)
class OpenDataFile:
    level: str  # "epci" or "departement"
    value_column: str
    rows: tuple[FigureRow, ...]
    placeholders: int  # rows « XX » ignored
    blanks: int  # rows without a value (statistical secrecy), skipped

    @property
    def years(self) -> list[int]:
        return sorted({r.year for r in self.rows})


def _header(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", bare.casefold()).strip("_")


def decode(content: bytes | str) -> str:
    """The file's text: UTF-8 (with or without BOM), else Windows-1252 as the Caf exports."""
    if isinstance(content, str):
        return content
    if len(content) > MAX_BYTES:
        raise ValidationFailed({"file": "Le fichier dépasse 5 Mo : ce n'est pas un fichier Caf."})
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def read_year(text: str) -> int | None:
    """2023, « 2023.0 », « 31/12/2023 », « 2023-12-31 » (or with a time) → 2023."""
    text = text.strip()
    for pattern, group in ((_YEAR, 1), (_FRENCH_DAY, 3), (_ISO_DAY, 1)):
        found = pattern.fullmatch(text)
        if found:
            if pattern is _FRENCH_DAY:
                day, month, year = (int(g) for g in found.groups())
                try:
                    date(year, month, day)
                except ValueError:
                    return None
            year = int(found.group(group))
            return year if FIRST_YEAR <= year <= LAST_YEAR else None
    return None


def read_number(text: str) -> float | None:
    """« 1 234,5 » → 1234.5; an empty cell → None; anything else raises ValueError."""
    cleaned = text
    for ignored in (" ", "\u00a0", "\u202f", "%"):
        cleaned = cleaned.replace(ignored, "")
    if not cleaned:
        return None
    return float(cleaned.replace(",", "."))


def _pick(columns: dict[str, str], wanted: tuple[str, ...]) -> str | None:
    return next((columns[w] for w in wanted if w in columns), None)


def value_columns(catalogue_code: str) -> tuple[str, ...]:
    """The columns that may hold this indicator's value: those of the Caf files, or a column
    named after its code (« ASSMAT »). Never « the only other column »: a file of
    allocataires must not be read as assistants maternels."""
    return (*VALUE_COLUMNS.get(catalogue_code, ()), _header(catalogue_code))


def _value_column(columns: dict[str, str], catalogue_code: str) -> str:
    found = _pick(columns, value_columns(catalogue_code))
    if found:
        return found
    listed = ", ".join(f"« {c} »" for c in columns.values())
    expected = ", ".join(c.upper() for c in value_columns(catalogue_code))
    raise ValidationFailed(
        {
            "file": f"Ce fichier n'a pas de colonne pour l'indicateur {catalogue_code} "
            f"(attendu : {expected} ; colonnes du fichier : {listed})."
        }
    )


def read_caf_file(content: bytes | str, catalogue_code: str, kind: MeasureKind) -> OpenDataFile:
    """Read a Caf open-data CSV for the catalogue indicator `catalogue_code` (of `kind`).

    Raises `ValidationFailed` ({"file": "…"}) naming up to five faulty lines.
    """
    text = decode(content)
    first_line = text.split("\n", 1)[0]
    separator = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationFailed({"file": "Le fichier est vide."}) from None
    columns = {_header(h): h for h in header if h.strip()}
    code_column = _pick(columns, EPCI_CODE_COLUMNS)
    level = "epci"
    if code_column is None:
        code_column = _pick(columns, DEPARTEMENT_CODE_COLUMNS)
        level = "departement"
    year_column = _pick(columns, YEAR_COLUMNS)
    if code_column is None or year_column is None:
        raise ValidationFailed(
            {
                "file": "Ce fichier n'a pas la forme des fichiers de la Caf : il lui faut une "
                "colonne de code (NUMEPCI, ou NUMDEP pour un département) et une colonne "
                "d'année (annee ou DTREF)."
            }
        )
    name_column = _pick(columns, NAME_COLUMNS)
    value_column = _value_column(columns, catalogue_code)
    position = {name: header.index(name) for name in (code_column, year_column, value_column)}
    name_at = header.index(name_column) if name_column else None

    rows: list[FigureRow] = []
    errors: list[str] = []
    seen: dict[tuple[str, int], int] = {}
    placeholders = blanks = 0
    for line, cells in enumerate(reader, start=2):
        if len(errors) >= MAX_ERRORS:
            break
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            errors.append(f"Ligne {line} : {len(cells)} colonnes au lieu de {len(header)}.")
            continue
        code = cells[position[code_column]].strip().upper()
        if _PLACEHOLDER.fullmatch(code):
            placeholders += 1
            continue
        code_ok = _EPCI_CODE if level == "epci" else _DEPARTEMENT_CODE
        if not code_ok.fullmatch(code):
            errors.append(f"Ligne {line} : le code « {code[:20]} » n'est pas un code valide.")
            continue
        if level == "departement" and code.isdigit() and len(code) < 2:
            code = code.zfill(2)
        year = read_year(cells[position[year_column]])
        if year is None:
            shown = cells[position[year_column]].strip()[:20]
            errors.append(f"Ligne {line} : l'année « {shown} » n'est pas lisible.")
            continue
        raw = cells[position[value_column]].strip()
        try:
            value = read_number(raw)
        except ValueError:
            errors.append(f"Ligne {line} : la valeur « {raw[:20]} » n'est pas un nombre.")
            continue
        if value is None:
            blanks += 1
            continue
        refused = units.refusal(kind, value)
        if refused:
            errors.append(f"Ligne {line} : {refused}")
            continue
        if (code, year) in seen:
            errors.append(
                f"Ligne {line} : le code {code} a déjà une valeur pour {year} "
                f"(ligne {seen[code, year]})."
            )
            continue
        seen[code, year] = line
        name = cells[name_at].strip()[:200] if name_at is not None else ""
        rows.append(FigureRow(line, code, name, year, value))
    if errors:
        raise ValidationFailed(
            {"file": "Fichier refusé, rien n'a été importé. " + " ".join(errors[:MAX_ERRORS])}
        )
    if not rows:
        raise ValidationFailed({"file": "Le fichier ne contient aucune valeur à importer."})
    return OpenDataFile(level, value_column, tuple(rows), placeholders, blanks)
