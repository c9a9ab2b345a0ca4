"""Nouns of the indicators: series of measured values against baseline and target, for
pages and charts."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser, readable_convention
from ctg_core.common.errors import NotFound
from ctg_core.common.models import Action, Indicator, IndicatorDirection, IndicatorValue

POINT_COLUMNS = ["year", "measured_on", "value", "source"]


@dataclass(frozen=True)
class IndicatorSeries:
    id: int
    name: str
    unit: str
    direction: IndicatorDirection
    baseline_value: float | None
    baseline_year: int | None
    target_value: float | None
    target_year: int | None
    source: str
    action_id: int | None
    axis_id: int | None
    points: pd.DataFrame  # POINT_COLUMNS, in time order

    @property
    def last_value(self) -> float | None:
        return None if self.points.empty else float(self.points["value"].iloc[-1])


def _series(session: Session, indicators: list[Indicator]) -> list[IndicatorSeries]:
    ids = [i.id for i in indicators]
    values = session.exec(
        select(IndicatorValue)
        .where(IndicatorValue.indicator_id.in_(ids or [-1]))  # type: ignore[attr-defined]
        .where(IndicatorValue.archived_at.is_(None))  # type: ignore[union-attr]
        .order_by(IndicatorValue.year, IndicatorValue.measured_on, IndicatorValue.id)
    ).all()
    by_indicator: dict[int, list[dict[str, object]]] = {}
    for v in values:
        by_indicator.setdefault(v.indicator_id, []).append(
            {"year": v.year, "measured_on": v.measured_on, "value": v.value, "source": v.source}
        )
    return [
        IndicatorSeries(
            id=i.id,  # type: ignore[arg-type]
            name=i.name,
            unit=i.unit,
            direction=i.direction,
            baseline_value=i.baseline_value,
            baseline_year=i.baseline_year,
            target_value=i.target_value,
            target_year=i.target_year,
            source=i.source,
            action_id=i.action_id,
            axis_id=i.axis_id,
            points=pd.DataFrame(by_indicator.get(i.id, []), columns=POINT_COLUMNS),  # type: ignore[arg-type]
        )
        for i in indicators
    ]


def _live(convention_id: int):  # type: ignore[no-untyped-def]
    return (
        select(Indicator)
        .where(
            Indicator.convention_id == convention_id,
            Indicator.archived_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(Indicator.name, Indicator.id)
    )


def convention_indicators(
    session: Session, user: CurrentUser, convention_id: int
) -> list[IndicatorSeries]:
    readable_convention(session, user, convention_id)
    return _series(session, list(session.exec(_live(convention_id))))


@dataclass(frozen=True)
class ActionIndicators:
    """The indicators to show beside an action.

    `of_action` is True when they are attached to the action itself; False when the action
    has none and these are the convention's indicators of the same axis (shown as context).
    """

    series: list[IndicatorSeries]
    of_action: bool


def action_indicators(session: Session, user: CurrentUser, action_id: int) -> ActionIndicators:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound("action", action_id)
    readable_convention(session, user, action.convention_id, archived=True)
    own = list(session.exec(_live(action.convention_id).where(Indicator.action_id == action_id)))
    if own:
        return ActionIndicators(_series(session, own), of_action=True)
    same_axis = list(
        session.exec(
            _live(action.convention_id).where(
                Indicator.action_id.is_(None),  # type: ignore[union-attr]
                Indicator.axis_id == action.axis_id,
            )
        )
    )
    return ActionIndicators(_series(session, same_axis), of_action=False)
