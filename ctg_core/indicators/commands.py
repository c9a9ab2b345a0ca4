"""Verbs of the indicators: recording measured values (each a `@command`, see
`common.command`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import model_validator
from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser, editable_convention
from ctg_core.common.command import command, unique_rule
from ctg_core.common.errors import NotFound, ValidationFailed
from ctg_core.common.history import diff, log_change
from ctg_core.common.models import Indicator, IndicatorValue
from ctg_core.common.validation import Day, FrenchFloat, Input, ShortText, Year, validated

unique_rule(
    ("uq_indicator_values_year", "indicator_values.indicator_id, indicator_values.year"),
    "year",
    "Une valeur vient d'être saisie pour cette année par quelqu'un d'autre.",
)


class MeasureData(Input):
    year: Year
    value: FrenchFloat
    measured_on: Day | None = None
    source: ShortText = ""

    @model_validator(mode="after")
    def _same_year(self) -> MeasureData:
        if self.measured_on and self.measured_on.year != self.year:
            raise ValueError("measured_on|La date de mesure doit tomber dans l'année indiquée.")
        return self


@command
def record_indicator_value(
    session: Session,
    user: CurrentUser,
    indicator_id: int,
    data: MeasureData | Mapping[str, Any],
) -> IndicatorValue:
    """Add the value measured for one year; a year already measured is refused, not replaced."""
    indicator = session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound("indicateur", indicator_id)
    convention = editable_convention(
        session, user, indicator.convention_id, "saisir une valeur de cet indicateur"
    )
    data = validated(MeasureData, data)
    taken = session.exec(
        select(IndicatorValue.id).where(
            IndicatorValue.indicator_id == indicator_id,
            IndicatorValue.year == data.year,
            IndicatorValue.archived_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    if taken is not None:
        raise ValidationFailed({"year": f"Une valeur est déjà saisie pour {data.year}."})
    row = IndicatorValue(indicator_id=indicator_id, **data.model_dump())
    session.add(row)
    session.flush()
    assert row.id is not None
    log_change(
        session,
        user,
        "indicator_value",
        row.id,
        "create",
        diff({}, data.model_dump()),
        convention_id=convention.id,
    )
    return row
