"""Verbs of the indicators: recording measured values (each a `@command`, see
`common.command`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import Field, model_validator
from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser, editable_convention
from ctg_core.common.command import command
from ctg_core.common.errors import NotFound, ValidationFailed
from ctg_core.common.history import diff, log_change
from ctg_core.common.models import Indicator, IndicatorValue
from ctg_core.common.validation import FrenchFloat, Input, validated


class MeasureData(Input):
    year: int = Field(ge=2000, le=2100)
    value: FrenchFloat
    measured_on: date | None = None
    source: str = Field(default="", max_length=200)

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
            IndicatorValue.indicator_id == indicator_id, IndicatorValue.year == data.year
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
