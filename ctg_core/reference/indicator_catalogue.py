"""The catalogue of common CTG indicators shipped in `data/indicator_catalogue.csv`
(reference data, loaded like the territories; the admin edits it afterwards through
`indicators.commands`)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlmodel import Session, select

from ctg_core.common import config
from ctg_core.common.models import IndicatorCatalogue, IndicatorDirection, MeasureKind

CATALOGUE_FILE = "indicator_catalogue.csv"


def load_indicator_catalogue(session: Session, path: Path | None = None) -> int:
    """Insert the catalogue entries whose code the database lacks; returns how many.

    Idempotent, and an entry already there is left as the admin made it (renamed, archived):
    the file seeds the catalogue, it does not overrule it.
    """
    source = path or config.DATA_DIR / CATALOGUE_FILE
    present = set(session.exec(select(IndicatorCatalogue.code)))
    added = 0
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["code"].strip()
            if code in present:
                continue
            session.add(
                IndicatorCatalogue(
                    code=code,
                    name=row["name"].strip(),
                    unit=row["unit"].strip(),
                    measure=MeasureKind(row["measure"].strip()),
                    direction=IndicatorDirection(row["direction"].strip()),
                    axis_code=row["axis_code"].strip(),
                    source=row["source"].strip(),
                    definition=row["definition"].strip(),
                )
            )
            present.add(code)
            added += 1
    session.commit()
    return added
