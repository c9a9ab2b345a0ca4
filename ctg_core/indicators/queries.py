"""Nouns of the indicators: series of measured values against baseline and target (with
their status), the history of their values, the catalogue, and territories compared on a
catalogue indicator — plain data for pages and charts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.common import config
from ctg_core.common.auth import CurrentUser, readable_convention
from ctg_core.common.errors import NotFound
from ctg_core.common.history import lines_of
from ctg_core.common.models import (
    Action,
    ChangeLog,
    Convention,
    Indicator,
    IndicatorCatalogue,
    IndicatorDirection,
    IndicatorValue,
    MeasureKind,
    Territory,
    TerritoryFigure,
    TerritoryKind,
)
from ctg_core.indicators import units
from ctg_core.indicators.status import Goal, IndicatorStatus, indicator_status

POINT_COLUMNS = ["year", "measured_on", "value", "source", "id", "version", "in_bounds"]


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
    measure: MeasureKind = MeasureKind.quantity
    catalogue_id: int | None = None
    catalogue_code: str | None = None
    definition: str = ""
    version: int = 1
    status: IndicatorStatus = IndicatorStatus.no_recent_data

    @property
    def chart_key(self) -> tuple[Any, ...]:
        """Everything a chart of this series draws, as a small hashable value: charts are
        cached under it (hashing the points' frame on every run costs more)."""
        return (
            self.id,
            self.version,
            self.name,
            self.unit,
            self.measure,
            self.direction,
            self.baseline_value,
            self.baseline_year,
            self.target_value,
            self.target_year,
            self.status,
            tuple(self.points.itertuples(index=False, name=None)),
        )

    @property
    def last_value(self) -> float | None:
        return None if self.points.empty else float(self.points["value"].iloc[-1])

    @property
    def goal(self) -> Goal:
        return Goal(
            self.direction,
            self.baseline_value,
            self.baseline_year,
            self.target_value,
            self.target_year,
        )

    def _in_bounds(self) -> pd.Series:
        if "in_bounds" in self.points:
            return self.points["in_bounds"].astype(bool)
        return self.points["value"].map(lambda v: units.within(self.measure, v)).astype(bool)

    @property
    def drawable(self) -> pd.DataFrame:
        """The points a chart can place: finite and within the bounds of the kind (a value
        stored before the bounds existed is listed, marked, but left off the scale)."""
        if self.points.empty:
            return self.points
        return self.points[self._in_bounds()]

    @property
    def out_of_bounds(self) -> pd.DataFrame:
        if self.points.empty:
            return self.points
        return self.points[~self._in_bounds()]


def _series(
    session: Session, indicators: list[Indicator], this_year: int | None = None
) -> list[IndicatorSeries]:
    year_now = this_year or config.today().year
    ids = [i.id for i in indicators]
    values = session.exec(
        select(IndicatorValue)
        .where(IndicatorValue.indicator_id.in_(ids or [-1]))  # type: ignore[attr-defined]
        .where(IndicatorValue.archived_at.is_(None))  # type: ignore[union-attr]
        .order_by(IndicatorValue.year, IndicatorValue.measured_on, IndicatorValue.id)
    ).all()
    catalogue_ids = {i.catalogue_id for i in indicators if i.catalogue_id}
    entries = {
        c.id: c
        for c in session.exec(
            select(IndicatorCatalogue).where(
                IndicatorCatalogue.id.in_(catalogue_ids or [-1])  # type: ignore[union-attr]
            )
        )
    }
    kinds = {i.id: i.measure for i in indicators}
    by_indicator: dict[int, list[dict[str, object]]] = {}
    for v in values:
        by_indicator.setdefault(v.indicator_id, []).append(
            {
                "year": v.year,
                "measured_on": v.measured_on,
                "value": v.value,
                "source": v.source,
                "id": v.id,
                "version": v.version,
                "in_bounds": units.within(kinds[v.indicator_id], v.value),
            }
        )
    result = []
    for i in indicators:
        points = pd.DataFrame(by_indicator.get(i.id, []), columns=POINT_COLUMNS)  # type: ignore[arg-type]
        entry = entries.get(i.catalogue_id) if i.catalogue_id else None
        series = IndicatorSeries(
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
            points=points,
            measure=i.measure,
            catalogue_id=i.catalogue_id,
            catalogue_code=entry.code if entry else None,
            definition=entry.definition if entry else "",
            version=i.version,
        )
        drawable = series.drawable
        status = indicator_status(
            series.goal, zip(drawable["year"], drawable["value"], strict=True), year_now
        )
        result.append(replace(series, status=status))
    return result


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
    session: Session, user: CurrentUser, convention_id: int, *, this_year: int | None = None
) -> list[IndicatorSeries]:
    readable_convention(session, user, convention_id)
    return _series(session, list(session.exec(_live(convention_id))), this_year)


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


# --- the history of an indicator's values ----------------------------------------------------


@dataclass(frozen=True)
class ValueChange:
    """One change to a measured value, in French: who, when, which year, old → new."""

    at: datetime
    user_name: str
    year: int
    operation: str  # create, update, archive, conflict
    operation_label: str
    summary: str


def value_history(session: Session, user: CurrentUser, indicator_id: int) -> list[ValueChange]:
    """Every change to the indicator's values (archived ones too), newest first."""
    indicator = session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound("indicateur", indicator_id)
    readable_convention(session, user, indicator.convention_id, archived=True)
    years = dict(
        session.exec(
            select(IndicatorValue.id, IndicatorValue.year).where(
                IndicatorValue.indicator_id == indicator_id
            )
        ).all()
    )
    entries = session.exec(
        select(ChangeLog)
        .where(
            ChangeLog.entity == "indicator_value",
            ChangeLog.entity_id.in_(list(years) or [-1]),  # type: ignore[attr-defined]
        )
        .order_by(ChangeLog.id.desc())  # type: ignore[union-attr]
    ).all()
    lines = lines_of(session, entries)
    return [
        ValueChange(
            at=line.at,
            user_name=line.user_name,
            year=years[entry.entity_id],
            operation=line.operation,
            operation_label=line.operation_label,
            summary=" ; ".join(
                str(c) if line.operation != "conflict" else f"{c.label} : {c.new} (non enregistré)"
                for c in line.changes
                if c.name != "year"  # the year heads the line
            ),
        )
        for entry, line in zip(entries, lines, strict=True)
    ]


# --- the catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    id: int
    code: str
    name: str
    unit: str
    measure: MeasureKind
    direction: IndicatorDirection
    definition: str
    source: str
    axis_code: str
    version: int
    archived: bool


def catalogue(session: Session, *, include_archived: bool = False) -> list[CatalogueEntry]:
    """The common indicators (public reference data: every signed-in user may read it)."""
    query = select(IndicatorCatalogue).order_by(IndicatorCatalogue.name, IndicatorCatalogue.id)
    if not include_archived:
        query = query.where(IndicatorCatalogue.archived_at.is_(None))  # type: ignore[union-attr]
    return [
        CatalogueEntry(
            id=c.id,  # type: ignore[arg-type]
            code=c.code,
            name=c.name,
            unit=c.unit,
            measure=c.measure,
            direction=c.direction,
            definition=c.definition,
            source=c.source,
            axis_code=c.axis_code,
            version=c.version,
            archived=c.archived_at is not None,
        )
        for c in session.exec(query)
    ]


# --- territories compared --------------------------------------------------------------------

OPEN_DATA = "Open data Caf"
CONVENTION_ENTRY = "Saisie de la convention"


@dataclass(frozen=True)
class ComparedTerritory:
    territory_id: int
    code: str
    name: str
    kind: TerritoryKind
    value: float
    source: str  # OPEN_DATA or CONVENTION_ENTRY
    highlighted: bool
    rank: int = 0  # 1 = best, by the indicator's direction


@dataclass(frozen=True)
class Comparison:
    """Every territory of a département with a value of one catalogue indicator in one
    year, best first; the département's own figure when published."""

    code: str
    name: str
    unit: str
    measure: MeasureKind
    direction: IndicatorDirection
    year: int
    departement: str
    departement_value: float | None
    rows: list[ComparedTerritory] = field(default_factory=list)

    @property
    def highlighted(self) -> list[ComparedTerritory]:
        return [r for r in self.rows if r.highlighted]


def catalogue_entry(session: Session, code: str) -> IndicatorCatalogue:
    entry = session.exec(select(IndicatorCatalogue).where(IndicatorCatalogue.code == code)).first()
    if entry is None:
        raise NotFound("indicateur du catalogue", code)
    return entry


def comparable(session: Session, departement: str) -> dict[str, list[int]]:
    """For each catalogue code, the years with at least one territory's value in the
    département, newest first (two queries, whatever the size of the catalogue)."""
    published = select(TerritoryFigure.catalogue_id, TerritoryFigure.year).where(
        TerritoryFigure.departement == departement,
        TerritoryFigure.territory_id.is_not(None),  # type: ignore[union-attr]
    )
    entered = (
        select(Indicator.catalogue_id, IndicatorValue.year)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)  # type: ignore[arg-type]
        .join(Convention, Convention.id == Indicator.convention_id)  # type: ignore[arg-type]
        .join(Territory, Territory.id == Convention.territory_id)  # type: ignore[arg-type]
        .where(
            Indicator.catalogue_id.is_not(None),  # type: ignore[union-attr]
            Territory.departement == departement,
            *_live_value_rules(),
        )
    )
    years: dict[int, set[int]] = {}
    for query in (published.distinct(), entered.distinct()):
        for catalogue_id, year in session.exec(query):
            years.setdefault(catalogue_id, set()).add(year)
    codes = dict(session.exec(select(IndicatorCatalogue.id, IndicatorCatalogue.code)).all())
    return {codes[i]: sorted(found, reverse=True) for i, found in years.items() if i in codes}


def comparable_years(session: Session, code: str, departement: str) -> list[int]:
    """Years with at least one territory's value for this catalogue indicator, newest first."""
    return comparable(session, departement).get(code, [])


def comparable_codes(session: Session, departement: str) -> list[CatalogueEntry]:
    """Catalogue indicators with at least one value in the département (for the map's
    layer switch and the comparison's choice), in the catalogue's order."""
    found = comparable(session, departement)
    return [e for e in catalogue(session) if e.code in found]


def _live_value_rules() -> list[sa.ColumnElement[bool]]:
    return [
        IndicatorValue.archived_at.is_(None),  # type: ignore[union-attr]
        Indicator.archived_at.is_(None),  # type: ignore[union-attr]
        Convention.archived_at.is_(None),  # type: ignore[union-attr]
    ]


def compare_territories(
    session: Session,
    code: str,
    year: int,
    departement: str,
    *,
    highlight: Iterable[int] = (),
) -> Comparison:
    """Territories of `departement` compared on catalogue indicator `code` in `year`.

    A territory's value is its published figure (Caf open data: the same method for all),
    else the value its convention entered for that catalogue indicator (the most recent
    convention when a territory has had several). Catalogue values are shared between
    territories for comparison: that is what the catalogue is for. `highlight` names the
    viewer's territories.
    """
    entry = catalogue_entry(session, code)
    marked = set(highlight)
    values: dict[int, tuple[float, str]] = {}
    entered = session.exec(
        select(Convention.territory_id, IndicatorValue.value)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)  # type: ignore[arg-type]
        .join(Convention, Convention.id == Indicator.convention_id)  # type: ignore[arg-type]
        .join(Territory, Territory.id == Convention.territory_id)  # type: ignore[arg-type]
        .where(
            Indicator.catalogue_id == entry.id,
            IndicatorValue.year == year,
            Territory.departement == departement,
            *_live_value_rules(),
        )
        .order_by(Convention.id)  # the most recent convention comes last and wins
    ).all()
    for territory_id, value in entered:
        values[territory_id] = (value, CONVENTION_ENTRY)
    figures = session.exec(
        select(TerritoryFigure).where(
            TerritoryFigure.catalogue_id == entry.id,
            TerritoryFigure.year == year,
            TerritoryFigure.departement == departement,
        )
    ).all()
    departement_value = None
    for figure in figures:
        if figure.territory_id is None:
            departement_value = figure.value
        else:
            values[figure.territory_id] = (figure.value, OPEN_DATA)
    territories = {
        t.id: t
        for t in session.exec(
            select(Territory).where(Territory.id.in_(list(values) or [-1]))  # type: ignore[union-attr]
        )
    }
    rows = [
        ComparedTerritory(
            territory_id=tid,
            code=territories[tid].code,
            name=territories[tid].name,
            kind=territories[tid].kind,
            value=value,
            source=source,
            highlighted=tid in marked,
        )
        for tid, (value, source) in values.items()
        if units.within(entry.measure, value)
    ]
    lower_first = entry.direction is IndicatorDirection.lower_is_better
    rows.sort(key=lambda r: (r.value if lower_first else -r.value, r.name))
    ranked = [replace(r, rank=rank) for rank, r in enumerate(rows, start=1)]
    return Comparison(
        code=entry.code,
        name=entry.name,
        unit=entry.unit,
        measure=entry.measure,
        direction=entry.direction,
        year=year,
        departement=departement,
        departement_value=departement_value
        if units.within(entry.measure, departement_value)
        else None,
        rows=ranked,
    )
