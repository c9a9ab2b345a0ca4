"""Verbs of the indicators, each a `@command` (see `common.command`): define, edit and
archive a convention's indicators; record, correct and archive measured values (one year or
a whole year for every indicator at once); keep the catalogue (admin); import the Caf open
data (admin).

Every number goes through the French number rule (`FrenchFloat`, « 42,5 », « 1 234 »,
« 12 % ») and then through the bounds of the indicator's kind (`units`): a number of places
is a whole number and never negative, a rate may pass 100 but not go below 0. A correction
is a versioned update whose history keeps the old value and who changed it; a wrong value is
archived, never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Session, select

from ctg_core.common import config
from ctg_core.common.auth import CurrentUser, editable_convention
from ctg_core.common.command import command, unique_rule
from ctg_core.common.errors import NotFound, ValidationFailed, require
from ctg_core.common.history import diff, log_change, versioned_update
from ctg_core.common.models import (
    Action,
    Axis,
    Convention,
    Indicator,
    IndicatorCatalogue,
    IndicatorDirection,
    IndicatorValue,
    MeasureKind,
    Territory,
    TerritoryFigure,
    TerritoryKind,
    utcnow,
)
from ctg_core.common.validation import (
    Code,
    Day,
    FrenchFloat,
    Id,
    Input,
    LongText,
    ShortText,
    Title,
    UnitText,
    Year,
    validated,
)
from ctg_core.indicators import open_data, units

unique_rule(
    ("uq_indicator_values_year", "indicator_values.indicator_id, indicator_values.year"),
    "year",
    "Une valeur vient d'être saisie pour cette année par quelqu'un d'autre.",
)
unique_rule(
    ("uq_indicators_catalogue", "indicators.convention_id, indicators.catalogue_id"),
    "catalogue_id",
    "Cet indicateur du catalogue vient d'être ajouté à la convention par quelqu'un d'autre.",
)
unique_rule(
    ("indicator_catalogue_code_key", "indicator_catalogue.code"),
    "code",
    "Ce code vient d'être pris dans le catalogue par quelqu'un d'autre.",
)

# Fields a catalogue indicator takes from its catalogue entry (the same in every territory).
FROM_CATALOGUE = ("name", "unit", "measure", "direction")

# --- input models ----------------------------------------------------------------------------


def goal_rule_broken(
    baseline_value: float | None,
    baseline_year: int | None,
    target_value: float | None,
    target_year: int | None,
) -> tuple[str, str] | None:
    """The first rule of an indicator's baseline and target that these values break."""
    if (baseline_value is None) != (baseline_year is None):
        field = "baseline_year" if baseline_year is None else "baseline_value"
        return field, "La référence se donne avec sa valeur et son année."
    if target_value is not None and target_year is None:
        return "target_year", "Indiquez l'année où la cible doit être atteinte."
    if target_year is not None and target_value is None:
        return "target_value", "Indiquez la valeur de la cible."
    if baseline_year is not None and target_year is not None and target_year <= baseline_year:
        return "target_year", "L'année de la cible doit suivre celle de la référence."
    return None


class IndicatorData(Input):
    """A new indicator: from the catalogue (`catalogue_id`: its name, unit, kind and
    direction come from the catalogue) or the convention's own (`name` required)."""

    catalogue_id: Id | None = None
    name: Title | None = None
    unit: UnitText = ""
    measure: MeasureKind = MeasureKind.quantity
    direction: IndicatorDirection = IndicatorDirection.higher_is_better
    axis_id: Id | None = None
    action_id: Id | None = None
    baseline_value: FrenchFloat | None = None
    baseline_year: Year | None = None
    target_value: FrenchFloat | None = None
    target_year: Year | None = None
    source: ShortText = ""

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.catalogue_id is None and not self.name:
            raise ValueError("name|Donnez un nom à l'indicateur, ou choisissez-le au catalogue.")
        broken = goal_rule_broken(
            self.baseline_value, self.baseline_year, self.target_value, self.target_year
        )
        if broken:
            raise ValueError("|".join(broken))
        return self


class IndicatorChange(Input):
    """The fields of an indicator the user changed; only those set are applied."""

    name: Title | None = None
    unit: UnitText | None = None
    measure: MeasureKind | None = None
    direction: IndicatorDirection | None = None
    axis_id: Id | None = None
    action_id: Id | None = None
    baseline_value: FrenchFloat | None = None
    baseline_year: Year | None = None
    target_value: FrenchFloat | None = None
    target_year: Year | None = None
    source: ShortText | None = None


INDICATOR_FIELDS = tuple(IndicatorChange.model_fields)


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


class CorrectionData(Input):
    """A corrected value (and, if changed, its source or date); its year stays."""

    value: FrenchFloat | None = None
    measured_on: Day | None = None
    source: ShortText | None = None


class YearValues(Input):
    """One year for several indicators of a convention: `values` maps an indicator id to
    the value typed for it (an empty box is no value)."""

    year: Year
    values: dict[Id, ShortText]
    source: ShortText = ""


class CatalogueData(Input):
    code: Code
    name: Title
    unit: UnitText = ""
    measure: MeasureKind = MeasureKind.quantity
    direction: IndicatorDirection = IndicatorDirection.higher_is_better
    definition: LongText = ""
    source: ShortText = ""
    axis_code: ShortText = ""


class CatalogueChange(Input):
    name: Title | None = None
    unit: UnitText | None = None
    measure: MeasureKind | None = None
    direction: IndicatorDirection | None = None
    definition: LongText | None = None
    source: ShortText | None = None
    axis_code: ShortText | None = None


class OpenDataImport(Input):
    catalogue_code: Code
    filename: ShortText = ""


# --- guards and rules ------------------------------------------------------------------------


def editable_indicator(
    session: Session, user: CurrentUser, indicator_id: int, doing: str
) -> tuple[Indicator, Convention]:
    """The guard of an indicator: it exists and its convention's plan is the user's to edit."""
    indicator = session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound("indicateur", indicator_id)
    convention = editable_convention(session, user, indicator.convention_id, doing)
    return indicator, convention


def _require_live(indicator: Indicator) -> None:
    if indicator.archived_at is not None:
        raise ValidationFailed(
            {"archived_at": "Cet indicateur est archivé : il n'est plus modifiable."}
        )


def _bounded(kind: MeasureKind, values: Mapping[str, float | None]) -> None:
    """Each value within what the kind allows, else the French refusal under its field."""
    words = {
        "value": "La valeur",
        "baseline_value": "La référence",
        "target_value": "La cible",
    }
    errors = {}
    for name, value in values.items():
        if value is None:
            continue
        refused = units.refusal(kind, value, words.get(name, "La valeur"))
        if refused:
            errors[name] = refused
    if errors:
        raise ValidationFailed(errors)


def measurable_years(convention: Convention, indicator: Indicator) -> tuple[int, int]:
    """The years a value may be recorded for: from the convention's start (or the
    indicator's baseline year when earlier) to its end, and never after this year."""
    this_year = config.today().year
    first = convention.starts_on.year if convention.starts_on else (indicator.baseline_year or 1990)
    if indicator.baseline_year is not None:
        first = min(first, indicator.baseline_year)
    last = convention.ends_on.year if convention.ends_on else this_year
    return first, min(last, this_year)


def _require_year_in_convention(convention: Convention, indicator: Indicator, year: int) -> None:
    first, last = measurable_years(convention, indicator)
    if not first <= year <= last:
        if last < first:
            raise ValidationFailed({"year": "Aucune année ne peut encore être mesurée."})
        raise ValidationFailed(
            {
                "year": f"L'année doit tomber pendant la convention ou être l'année de référence "
                f"({first} à {last})."
            }
        )


def _require_links(session: Session, convention_id: int, axis_id: Any, action_id: Any) -> None:
    if axis_id is not None and session.get(Axis, axis_id) is None:
        raise ValidationFailed({"axis_id": "Cet axe n'existe pas."})
    if action_id is not None:
        action = session.get(Action, action_id)
        if action is None or action.convention_id != convention_id:
            raise ValidationFailed({"action_id": "Cette action n'est pas de cette convention."})


def _catalogue_entry(session: Session, catalogue_id: int) -> IndicatorCatalogue:
    entry = session.get(IndicatorCatalogue, catalogue_id)
    if entry is None or entry.archived_at is not None:
        raise ValidationFailed({"catalogue_id": "Cet indicateur n'est pas (ou plus) au catalogue."})
    return entry


def _live_values(session: Session, indicator_id: int) -> list[IndicatorValue]:
    return list(
        session.exec(
            select(IndicatorValue).where(
                IndicatorValue.indicator_id == indicator_id,
                IndicatorValue.archived_at.is_(None),  # type: ignore[union-attr]
            )
        )
    )


# --- indicators ------------------------------------------------------------------------------


@command
def create_indicator(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    data: IndicatorData | Mapping[str, Any],
) -> Indicator:
    """Add an indicator to a convention; one live indicator per catalogue entry."""
    editable_convention(session, user, convention_id, "ajouter un indicateur à cette convention")
    data = validated(IndicatorData, data)
    values = data.model_dump()
    if data.catalogue_id is not None:
        entry = _catalogue_entry(session, data.catalogue_id)
        values.update({name: getattr(entry, name) for name in FROM_CATALOGUE})
        values["source"] = data.source or entry.source
        if data.axis_id is None and entry.axis_code:
            axis = session.exec(select(Axis).where(Axis.code == entry.axis_code)).first()
            values["axis_id"] = axis.id if axis else None
        taken = session.exec(
            select(Indicator.id).where(
                Indicator.convention_id == convention_id,
                Indicator.catalogue_id == data.catalogue_id,
                Indicator.archived_at.is_(None),  # type: ignore[union-attr]
            )
        ).first()
        if taken is not None:
            raise ValidationFailed(
                {"catalogue_id": "Cette convention suit déjà cet indicateur du catalogue."}
            )
    if not values["unit"]:
        values["unit"] = units.bounds(values["measure"]).default_unit
    _bounded(
        values["measure"],
        {"baseline_value": data.baseline_value, "target_value": data.target_value},
    )
    _require_links(session, convention_id, values["axis_id"], values["action_id"])
    indicator = Indicator(convention_id=convention_id, **values)
    session.add(indicator)
    session.flush()
    assert indicator.id is not None
    log_change(
        session,
        user,
        "indicator",
        indicator.id,
        "create",
        diff({}, values),
        convention_id=convention_id,
    )
    return indicator


@command
def update_indicator(
    session: Session,
    user: CurrentUser,
    indicator_id: int,
    seen_version: int,
    change: IndicatorChange | Mapping[str, Any],
) -> Indicator:
    """Apply the fields set in `change` if the indicator is still at `seen_version`.

    A catalogue indicator keeps the catalogue's name, unit, kind and direction; a new kind
    must hold every live value already measured.
    """
    indicator, convention = editable_indicator(
        session, user, indicator_id, "modifier cet indicateur"
    )
    _require_live(indicator)
    values = validated(IndicatorChange, change).model_dump(exclude_unset=True)
    if indicator.catalogue_id is not None:
        fixed = [n for n in FROM_CATALOGUE if n in values and values[n] != getattr(indicator, n)]
        if fixed:
            raise ValidationFailed(
                {
                    fixed[
                        0
                    ]: "Ce champ est fixé par le catalogue (le même pour tous les territoires)."
                }
            )
    if "name" in values and not values["name"]:
        raise ValidationFailed({"name": "Intitulé est obligatoire."})
    before = {name: getattr(indicator, name) for name in INDICATOR_FIELDS}
    state = {**before, **values}
    broken = goal_rule_broken(
        state["baseline_value"], state["baseline_year"], state["target_value"], state["target_year"]
    )
    if broken:
        raise ValidationFailed(dict([broken]))
    kind = MeasureKind(state["measure"])
    _bounded(
        kind, {"baseline_value": state["baseline_value"], "target_value": state["target_value"]}
    )
    if "measure" in values and kind is not indicator.measure:
        outside = sorted(
            v.year for v in _live_values(session, indicator_id) if not units.within(kind, v.value)
        )
        if outside:
            years = ", ".join(str(y) for y in outside[:5])
            raise ValidationFailed(
                {
                    "measure": f"Des valeurs déjà saisies sortent de ce type de mesure ({years}) : "
                    "corrigez-les d'abord."
                }
            )
    _require_links(session, indicator.convention_id, values.get("axis_id"), values.get("action_id"))
    changes = diff(before, values)
    if not changes:
        return indicator
    versioned_update(
        session,
        indicator,
        seen_version,
        values,
        user=user,
        entity="indicator",
        convention_id=convention.id,
    )
    log_change(
        session, user, "indicator", indicator_id, "update", changes, convention_id=convention.id
    )
    return indicator


@command
def archive_indicator(
    session: Session, user: CurrentUser, indicator_id: int, seen_version: int
) -> Indicator:
    """Archive (never delete): the indicator leaves the page, its values stay in history."""
    indicator, convention = editable_indicator(
        session, user, indicator_id, "archiver cet indicateur"
    )
    if indicator.archived_at is not None:
        return indicator
    now = utcnow()
    versioned_update(
        session,
        indicator,
        seen_version,
        {"archived_at": now},
        user=user,
        entity="indicator",
        convention_id=convention.id,
    )
    log_change(
        session,
        user,
        "indicator",
        indicator_id,
        "archive",
        {"archived_at": [None, now.isoformat()]},
        convention_id=convention.id,
    )
    return indicator


# --- measured values -------------------------------------------------------------------------


@command
def record_indicator_value(
    session: Session,
    user: CurrentUser,
    indicator_id: int,
    data: MeasureData | Mapping[str, Any],
) -> IndicatorValue:
    """Add the value measured for one year; a year already measured is refused, not replaced
    (correct it instead)."""
    indicator, convention = editable_indicator(
        session, user, indicator_id, "saisir une valeur de cet indicateur"
    )
    _require_live(indicator)
    data = validated(MeasureData, data)
    return _insert_value(session, user, indicator, convention, data)


def _insert_value(
    session: Session,
    user: CurrentUser,
    indicator: Indicator,
    convention: Convention,
    data: MeasureData,
) -> IndicatorValue:
    _bounded(indicator.measure, {"value": data.value})
    _require_year_in_convention(convention, indicator, data.year)
    taken = session.exec(
        select(IndicatorValue.id).where(
            IndicatorValue.indicator_id == indicator.id,
            IndicatorValue.year == data.year,
            IndicatorValue.archived_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    if taken is not None:
        raise ValidationFailed(
            {"year": f"Une valeur est déjà saisie pour {data.year} : corrigez-la plutôt."}
        )
    row = IndicatorValue(indicator_id=indicator.id, **data.model_dump())  # type: ignore[arg-type]
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


def _editable_value(
    session: Session, user: CurrentUser, value_id: int, doing: str
) -> tuple[IndicatorValue, Indicator, Convention]:
    row = session.get(IndicatorValue, value_id)
    if row is None:
        raise NotFound("valeur mesurée", value_id)
    indicator, convention = editable_indicator(session, user, row.indicator_id, doing)
    if row.archived_at is not None:
        raise ValidationFailed(
            {"archived_at": "Cette valeur a été retirée : elle n'est plus modifiable."}
        )
    return row, indicator, convention


@command
def correct_indicator_value(
    session: Session,
    user: CurrentUser,
    value_id: int,
    seen_version: int,
    change: CorrectionData | Mapping[str, Any],
) -> IndicatorValue:
    """Correct a measured value (same year): the history keeps the old value and who
    changed it; refused if someone corrected it since `seen_version`."""
    row, indicator, convention = _editable_value(session, user, value_id, "corriger cette valeur")
    _require_live(indicator)
    values = validated(CorrectionData, change).model_dump(exclude_unset=True)
    if "value" in values and values["value"] is None:
        raise ValidationFailed({"value": "Valeur mesurée est obligatoire."})
    if "source" in values and values["source"] is None:
        values["source"] = ""
    if values.get("measured_on") and values["measured_on"].year != row.year:
        raise ValidationFailed(
            {"measured_on": "La date de mesure doit tomber dans l'année de la valeur."}
        )
    _bounded(indicator.measure, {"value": values.get("value")})
    before = {name: getattr(row, name) for name in ("value", "measured_on", "source")}
    changes = diff(before, values)
    if not changes:
        return row
    versioned_update(
        session,
        row,
        seen_version,
        values,
        user=user,
        entity="indicator_value",
        convention_id=convention.id,
    )
    log_change(
        session,
        user,
        "indicator_value",
        value_id,
        "update",
        {"year": [row.year, row.year], **changes},
        convention_id=convention.id,
    )
    return row


@command
def archive_indicator_value(
    session: Session, user: CurrentUser, value_id: int, seen_version: int
) -> IndicatorValue:
    """Remove a wrong value: archived (history keeps it), the year can be measured again."""
    row, _indicator, convention = _editable_value(session, user, value_id, "retirer cette valeur")
    now = utcnow()
    versioned_update(
        session,
        row,
        seen_version,
        {"archived_at": now},
        user=user,
        entity="indicator_value",
        convention_id=convention.id,
    )
    log_change(
        session,
        user,
        "indicator_value",
        value_id,
        "archive",
        {"year": [row.year, row.year], "value": [row.value, None]},
        convention_id=convention.id,
    )
    return row


@dataclass(frozen=True)
class YearReport:
    year: int
    recorded: int
    left_empty: int


@command
def record_year_values(
    session: Session,
    user: CurrentUser,
    convention_id: int,
    data: YearValues | Mapping[str, Any],
) -> YearReport:
    """Record one year for several indicators of a convention at once: every typed value is
    checked first, and one refused value saves none (the errors name each indicator)."""
    convention = editable_convention(
        session, user, convention_id, "saisir les valeurs des indicateurs de cette convention"
    )
    data = validated(YearValues, data)
    indicators = {
        i.id: i
        for i in session.exec(
            select(Indicator).where(
                Indicator.id.in_(list(data.values) or [-1]),  # type: ignore[union-attr]
            )
        )
    }
    errors: dict[str, str] = {}
    measures: list[tuple[Indicator, MeasureData]] = []
    left_empty = 0
    for indicator_id, typed in data.values.items():
        indicator = indicators.get(indicator_id)
        if indicator is None or indicator.convention_id != convention_id:
            raise NotFound("indicateur de cette convention", indicator_id)
        _require_live(indicator)
        if not typed.strip():
            left_empty += 1
            continue
        try:
            measure = validated(
                MeasureData, {"year": data.year, "value": typed, "source": data.source}
            )
            _bounded(indicator.measure, {"value": measure.value})
        except ValidationFailed as refused:
            errors[f"value:{indicator_id}"] = (
                f"{indicator.name} : {' '.join(refused.errors.values())}"
            )
            continue
        measures.append((indicator, measure))
    if errors:
        raise ValidationFailed(errors)
    for indicator, measure in measures:
        try:
            _insert_value(session, user, indicator, convention, measure)
        except ValidationFailed as refused:
            errors[f"value:{indicator.id}"] = (
                f"{indicator.name} : {' '.join(refused.errors.values())}"
            )
    if errors:
        raise ValidationFailed(errors)
    return YearReport(data.year, len(measures), left_empty)


# --- the catalogue (admin) -------------------------------------------------------------------


@command
def create_catalogue_entry(
    session: Session, user: CurrentUser, data: CatalogueData | Mapping[str, Any]
) -> IndicatorCatalogue:
    require(user.is_admin, "modifier le catalogue des indicateurs")
    data = validated(CatalogueData, data)
    code = data.code.upper()
    if session.exec(select(IndicatorCatalogue.id).where(IndicatorCatalogue.code == code)).first():
        raise ValidationFailed({"code": "Ce code est déjà au catalogue."})
    entry = IndicatorCatalogue(**{**data.model_dump(), "code": code})
    session.add(entry)
    session.flush()
    assert entry.id is not None
    log_change(
        session, user, "indicator_catalogue", entry.id, "create", diff({}, data.model_dump())
    )
    return entry


@command
def update_catalogue_entry(
    session: Session,
    user: CurrentUser,
    entry_id: int,
    seen_version: int,
    change: CatalogueChange | Mapping[str, Any],
) -> IndicatorCatalogue:
    """Change a catalogue entry; its name, unit, kind and direction reach every live
    indicator that follows it (a new kind must hold their values and published figures)."""
    require(user.is_admin, "modifier le catalogue des indicateurs")
    entry = session.get(IndicatorCatalogue, entry_id)
    if entry is None:
        raise NotFound("indicateur du catalogue", entry_id)
    values = validated(CatalogueChange, change).model_dump(exclude_unset=True)
    for required in ("name",):
        if required in values and not values[required]:
            raise ValidationFailed({required: "Intitulé est obligatoire."})
    before = {name: getattr(entry, name) for name in CatalogueChange.model_fields}
    changes = diff(before, values)
    if not changes:
        return entry
    followers = list(
        session.exec(
            select(Indicator).where(
                Indicator.catalogue_id == entry_id,
                Indicator.archived_at.is_(None),  # type: ignore[union-attr]
            )
        )
    )
    if "measure" in changes:
        _require_kind_holds(session, MeasureKind(values["measure"]), entry_id, followers)
    versioned_update(
        session,
        entry,
        seen_version,
        values,
        user=user,
        entity="indicator_catalogue",
        convention_id=None,
    )
    shared = {n: values[n] for n in FROM_CATALOGUE if n in values}
    if shared and followers:
        session.execute(
            sa.update(Indicator)
            .where(Indicator.id.in_([i.id for i in followers]))  # type: ignore[union-attr]
            .values(**shared, version=Indicator.version + 1)
            .execution_options(synchronize_session=False)
        )
        for follower in followers:
            log_change(
                session,
                user,
                "indicator",
                follower.id,  # type: ignore[arg-type]
                "update",
                diff({n: getattr(follower, n) for n in shared}, shared),
                convention_id=follower.convention_id,
            )
    log_change(session, user, "indicator_catalogue", entry_id, "update", changes)
    return entry


def _require_kind_holds(
    session: Session, kind: MeasureKind, entry_id: int, followers: list[Indicator]
) -> None:
    values = session.exec(
        select(IndicatorValue.value).where(
            IndicatorValue.indicator_id.in_([i.id for i in followers] or [-1]),  # type: ignore[attr-defined]
            IndicatorValue.archived_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    figures = session.exec(
        select(TerritoryFigure.value).where(TerritoryFigure.catalogue_id == entry_id)
    ).all()
    if any(not units.within(kind, v) for v in [*values, *figures]):
        raise ValidationFailed(
            {"measure": "Des valeurs déjà saisies ou importées sortent de ce type de mesure."}
        )


@command
def archive_catalogue_entry(
    session: Session, user: CurrentUser, entry_id: int, seen_version: int
) -> IndicatorCatalogue:
    """Take an entry out of the catalogue's choices; conventions that follow it keep it."""
    require(user.is_admin, "modifier le catalogue des indicateurs")
    entry = session.get(IndicatorCatalogue, entry_id)
    if entry is None:
        raise NotFound("indicateur du catalogue", entry_id)
    if entry.archived_at is not None:
        return entry
    now = utcnow()
    versioned_update(
        session,
        entry,
        seen_version,
        {"archived_at": now},
        user=user,
        entity="indicator_catalogue",
        convention_id=None,
    )
    log_change(
        session,
        user,
        "indicator_catalogue",
        entry_id,
        "archive",
        {"archived_at": [None, now.isoformat()]},
    )
    return entry


# --- Caf open data (admin) -------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an import did: how many territories matched, which codes did not."""

    catalogue_code: str
    level: str  # "epci" or "departement"
    value_column: str
    years: tuple[int, ...]
    matched: int  # territories (or départements) found
    unknown_codes: tuple[str, ...]
    placeholders: int  # rows « XX » ignored
    blanks: int  # rows without a value
    added: int
    replaced: int
    unchanged: int


@command
def import_open_data(
    session: Session,
    user: CurrentUser,
    data: OpenDataImport | Mapping[str, Any],
    content: bytes | str,
) -> ImportReport:
    """Import a Caf open-data CSV for a catalogue indicator: all or nothing. A file that
    cannot be read, or whose codes match no territory, changes nothing."""
    require(user.is_admin, "importer des données open data")
    data = validated(OpenDataImport, data)
    entry = session.exec(
        select(IndicatorCatalogue).where(IndicatorCatalogue.code == data.catalogue_code)
    ).first()
    if entry is None or entry.archived_at is not None:
        raise ValidationFailed({"catalogue_code": "Cet indicateur n'est pas au catalogue."})
    parsed = open_data.read_caf_file(content, entry.code, entry.measure)
    source = f"Open data Caf ({data.filename})" if data.filename else "Open data Caf"
    report = write_figures(session, entry, parsed, source=source[:200])
    if report.matched == 0:
        raise ValidationFailed(
            {
                "file": "Aucun code du fichier ne correspond à un territoire connu : rien n'a été "
                "importé. Codes lus : " + ", ".join(report.unknown_codes[:10]) + "."
            }
        )
    log_change(
        session,
        user,
        "indicator_catalogue",
        entry.id,  # type: ignore[arg-type]
        "import",
        {
            "source": [None, source],
            "imported": [
                None,
                f"{report.added + report.replaced} valeur(s), {report.matched} territoire(s)",
            ],
        },
    )
    return report


def write_figures(
    session: Session,
    entry: IndicatorCatalogue,
    parsed: open_data.OpenDataFile,
    *,
    source: str,
    at: datetime | None = None,
) -> ImportReport:
    """Write the figures of a file read whole (for `import_open_data` and the demo loader):
    a figure already there for the same territory and year is replaced by the new one.
    `at` is the import's moment (now unless given: the demo pins it)."""
    at = at or utcnow()
    known: dict[str, Territory] = {}
    codes = {r.code for r in parsed.rows}
    if parsed.level == "epci":
        known = {
            t.code: t
            for t in session.exec(
                select(Territory).where(
                    Territory.kind == TerritoryKind.epci,
                    Territory.code.in_(codes),  # type: ignore[attr-defined]
                )
            )
        }
        departements = {}
    else:
        departements = {
            d: d for d in session.exec(select(Territory.departement).distinct()) if d in codes
        }
    existing = {
        (f.area_code, f.year): f
        for f in session.exec(
            select(TerritoryFigure).where(
                TerritoryFigure.catalogue_id == entry.id,
                TerritoryFigure.year.in_(parsed.years),  # type: ignore[attr-defined]
            )
        )
    }
    added = replaced = unchanged = 0
    matched: set[str] = set()
    unknown: list[str] = []
    for row in parsed.rows:
        territory = known.get(row.code)
        if territory is not None:
            area, territory_id, departement = row.code, territory.id, territory.departement
        elif row.code in departements:
            area, territory_id, departement = f"D{row.code}", None, row.code
        else:
            if row.code not in unknown:
                unknown.append(row.code)
            continue
        matched.add(row.code)
        figure = existing.get((area, row.year))
        if figure is None:
            figure = TerritoryFigure(
                catalogue_id=entry.id,  # type: ignore[arg-type]
                area_code=area,
                territory_id=territory_id,
                departement=departement,
                year=row.year,
                value=row.value,
                source=source,
                imported_at=at,
            )
            session.add(figure)
            existing[area, row.year] = figure
            added += 1
        elif figure.value != row.value:
            figure.value, figure.source, figure.imported_at = row.value, source, at
            session.add(figure)
            replaced += 1
        else:
            unchanged += 1
    session.flush()
    return ImportReport(
        catalogue_code=entry.code,
        level=parsed.level,
        value_column=parsed.value_column,
        years=tuple(parsed.years),
        matched=len(matched),
        unknown_codes=tuple(unknown),
        placeholders=parsed.placeholders,
        blanks=parsed.blanks,
        added=added,
        replaced=replaced,
        unchanged=unchanged,
    )
