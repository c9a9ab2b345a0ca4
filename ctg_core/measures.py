"""Recording measured values of indicators (the verb behind the Indicateurs page)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, select

from ctg_core.auth import CurrentUser
from ctg_core.errors import ValidationFailed, require
from ctg_core.models import Convention, Indicator, IndicatorValue
from ctg_core.services import diff, get_or_404, log_change
from ctg_core.validation import FrenchFloat, validated


class MeasureData(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    year: int = Field(ge=2000, le=2100)
    value: FrenchFloat
    measured_on: date | None = None
    source: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _same_year(self) -> MeasureData:
        if self.measured_on and self.measured_on.year != self.year:
            raise ValueError("measured_on|La date de mesure doit tomber dans l'année indiquée.")
        return self


def record_indicator_value(
    session: Session,
    user: CurrentUser,
    indicator_id: int,
    data: MeasureData | Mapping[str, Any],
) -> IndicatorValue:
    """Add the value measured for one year; a year already measured is refused, not replaced."""
    indicator = get_or_404(session, Indicator, indicator_id, "indicateur")
    convention = get_or_404(session, Convention, indicator.convention_id, "convention")
    require(user.can_edit_plan(convention), "saisir une valeur de cet indicateur")
    data = data if isinstance(data, MeasureData) else validated(MeasureData, dict(data))
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
    session.commit()
    return row
