"""Indicator values as a spreadsheet: the export of a convention's measured values, and the
preview of their import (kept apart from the plan's: the indicator catalogue grows on its
own).

A line is one value: the indicator (by its name in the convention), the year, the value,
and optionally the date of measure and the source. A year not yet measured is added
through `indicators.commands.record_indicator_value` (its rules, its history); a year
already measured with the same value is left alone (export → import changes nothing); a
different value for a measured year is refused: it is corrected on the Indicateurs page.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlmodel import Session, select

from ctg_core.common import formats
from ctg_core.common.auth import CurrentUser, editable_convention
from ctg_core.common.errors import ValidationFailed
from ctg_core.common.history import diff, same_value
from ctg_core.common.models import Indicator, IndicatorValue
from ctg_core.common.validation import validated
from ctg_core.exchange.readers import (
    Field,
    ReadSheet,
    Record,
    cell_day,
    cell_text,
    header_key,
    read_records,
)
from ctg_core.exchange.report import ImportReport, Operation, PlannedRow, Problem
from ctg_core.exchange.writers import Column, Kind, Table
from ctg_core.indicators.commands import MeasureData

SHEET_TITLE = "Valeurs des indicateurs"

VALUE_FIELDS: tuple[Field, ...] = (
    Field("indicator", "Indicateur", ("Nom de l'indicateur", "Nom"), required=True),
    Field("unit", "Unité", ("Unite",)),  # shown for the reader; the import does not change it
    Field("year", "Année", ("Annee", "An"), required=True),
    Field("value", "Valeur", ("Valeur mesurée", "Mesure"), required=True),
    Field("measured_on", "Date de mesure", ("Date",)),
    Field("source", "Source", ()),
)
HEADERS = {f.name: f.header for f in VALUE_FIELDS}
COLUMNS = (
    Column("indicator", "Indicateur", Kind.text, 40),
    Column("unit", "Unité", Kind.text, 12),
    Column("year", "Année", Kind.integer, 8),
    Column("value", "Valeur", Kind.number, 12),
    Column("measured_on", "Date de mesure", Kind.date, 14),
    Column("source", "Source", Kind.text, 30),
)


def values_table(values: pd.DataFrame) -> Table:
    """Measured values (columns as `COLUMNS`' keys) as the import reads them back."""
    return Table(SHEET_TITLE, COLUMNS, values)


def preview_values(
    session: Session, user: CurrentUser, convention_id: int, file_name: str, content: bytes
) -> ImportReport:
    """What importing these values would do, line by line; reads only."""
    editable_convention(session, user, convention_id, "importer des valeurs d'indicateurs ici")
    sheet = read_records(file_name, content, VALUE_FIELDS)
    return _ValuesCheck(session, convention_id, sheet).report()


class _ValuesCheck:
    def __init__(self, session: Session, convention_id: int, sheet: ReadSheet) -> None:
        self.sheet = sheet
        indicators = session.exec(
            select(Indicator).where(
                Indicator.convention_id == convention_id,
                Indicator.archived_at.is_(None),  # type: ignore[union-attr]
            )
        ).all()
        self.by_name: dict[str, list[Indicator]] = {}
        for indicator in indicators:
            self.by_name.setdefault(header_key(indicator.name), []).append(indicator)
        measured = session.exec(
            select(IndicatorValue).where(
                IndicatorValue.indicator_id.in_([i.id for i in indicators] or [-1]),  # type: ignore[attr-defined]
                IndicatorValue.archived_at.is_(None),  # type: ignore[union-attr]
            )
        ).all()
        self.measured = {(v.indicator_id, v.year): v for v in measured}
        self.problems: list[Problem] = []
        self.first_line: dict[tuple[int, int], int] = {}

    def refuse(self, line: int, name: str, message: str) -> None:
        column = self.sheet.headers.get(name) or HEADERS.get(name, name)
        self.problems.append(Problem(line, column, message))

    def report(self) -> ImportReport:
        rows = [row for record in self.sheet.records if (row := self.check(record))]
        return ImportReport(
            self.sheet.file_name,
            self.sheet.sheet,
            tuple(rows),
            tuple(self.problems),
            self.sheet.warnings,
        )

    def check(self, record: Record) -> PlannedRow | None:
        line = record.line
        if record.formulas:
            for name in record.formulas:
                self.refuse(line, name, "Cette cellule contient une formule : importez sa valeur.")
            return None
        indicator = self.indicator(record)
        data = self.measure(record)
        if indicator is None or data is None:
            return None
        key = (indicator.id, data.year)
        first = self.first_line.setdefault(key, line)  # type: ignore[arg-type]
        if first != line:
            self.refuse(line, "year", f"{data.year} figure déjà ligne {first} pour cet indicateur.")
            return None
        label = f"{indicator.name} — {data.year}"
        values = data.model_dump()
        stored = self.measured.get(key)  # type: ignore[arg-type]
        if stored is None:
            return PlannedRow(
                line, label, Operation.create, values, diff({}, values), record_id=indicator.id
            )
        if _same_measure(stored, data):
            return PlannedRow(line, label, Operation.unchanged, record_id=indicator.id)
        self.refuse(
            line,
            "value",
            f"Une valeur est déjà enregistrée pour {data.year} "
            f"({formats.number(stored.value, 2)}) : corrigez-la sur la page Indicateurs, "
            "ou retirez la ligne.",
        )
        return None

    def indicator(self, record: Record) -> Indicator | None:
        name = cell_text(record.values.get("indicator") or "").strip()
        found = self.by_name.get(header_key(name), [])
        if len(found) == 1:
            return found[0]
        if not name:
            self.refuse(record.line, "indicator", "Indicateur est obligatoire.")
        elif not found:
            self.refuse(
                record.line,
                "indicator",
                f"Indicateur inconnu dans cette convention : « {name} ». Créez-le d'abord, ou "
                "reprenez son nom exact.",
            )
        else:
            self.refuse(record.line, "indicator", f"Plusieurs indicateurs s'appellent « {name} ».")
        return None

    def measure(self, record: Record) -> MeasureData | None:
        raw = record.values
        values: dict[str, Any] = {
            "year": raw.get("year"),
            "value": raw.get("value"),
            "source": "" if raw.get("source") is None else cell_text(raw["source"]).strip(),
        }
        if raw.get("measured_on") is not None:
            values["measured_on"] = cell_day(raw["measured_on"])
        if isinstance(values["year"], float) and values["year"].is_integer():
            values["year"] = int(values["year"])
        try:
            return validated(MeasureData, values)
        except ValidationFailed as refusal:
            for name, message in refusal.errors.items():
                self.refuse(record.line, name, message)
            return None


def _same_measure(stored: IndicatorValue, data: MeasureData) -> bool:
    return (
        same_value(stored.value, data.value)
        and stored.source == data.source
        and (data.measured_on is None or stored.measured_on == data.measured_on)
    )
